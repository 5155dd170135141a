#!/usr/bin/env bash
# book.guard-build: a real `vitepress build` fails, naming page, line, file
# and region, when a region a page includes is renamed in the source, and
# when the file it includes is gone. Works on a copy of the book.
#
# The include it breaks is the book's own first `<<<` line when there is one;
# otherwise (no chapter includes code yet) a fixture page added to the copy.
set -euo pipefail
# shellcheck source=tests/book/lib.sh
source "$(dirname "$0")/lib.sh"
need node npm

book_copy root

# The first include in the book: page, line, file and region.
found=$(cd "$root/book" && grep -nE '^\s*<<<\s*@/\.\./(src|chapters)/[^#[:space:]]+#[A-Za-z0-9_-]+' \
    --include='*.md' -r . | sort -t: -k1,1 -k2,2n | head -1 || true)
if [[ -z $found ]]; then
    add_fixture_page "$root" guard-fixture
    found=$(cd "$root/book" && grep -nE '^<<<' guard-fixture.md | sed 's|^|./guard-fixture.md:|')
fi
page=${found%%:*}; page=${page#./}
rest=${found#*:}; line=${rest%%:*}
text=$(sed -E 's/^[^:]*:[^:]*:\s*//; s/\s+$//' <<<"$found")
include=$(sed -E 's/^<<<\s*//' <<<"$text")
file=$(sed -E 's|^@/\.\./([^#]+)#.*|\1|' <<<"$include")
region=$(sed -E 's|^[^#]+#([A-Za-z0-9_-]+).*|\1|' <<<"$include")
echo "breaking book/$page:$line: $file#$region"

build() { timeout -k 5 150 "$build_book" "$root/book" >"$root/build.log" 2>&1; }

# 1. The region renamed in the source, as a refactoring would.
sed -i -E "s/(#(end)?region) $region\$/\1 $region-renamed/" "$root/$file"
grep -q "#region $region-renamed" "$root/$file" || fail "could not rename region $region in the copy of $file"
if build; then
    fail "the build succeeded although region $region is gone from $file"
fi
want="book include: book/$page:$line: $text: file $file has no region \"$region\""
grep -qF "$want" "$root/build.log" || {
    cat "$root/build.log" >&2
    fail "the build failed, but not with: $want"
}
echo "ok: renamed region: $want"

# 2. The file gone.
rm -f "$root/$file"
if build; then
    fail "the build succeeded although $file is gone"
fi
want="book include: book/$page:$line: $text: file $file does not exist"
grep -qF "$want" "$root/build.log" || {
    cat "$root/build.log" >&2
    fail "the build failed, but not with: $want"
}
echo "ok: missing file: $want"
