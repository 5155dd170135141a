#!/usr/bin/env bash
# Build the book: a static site in book/.vitepress/dist (`make book`).
#
#   scripts/build-book.sh [--modules-only] [BOOK_DIR] [-- VITEPRESS_BUILD_ARGS...]
#
# BOOK_DIR defaults to this repository's book/; the tests pass a copy of it.
# Node modules come from npm's registry only, exactly as book/package-lock.json
# pins them, and are installed again only when they are missing or older than
# the lockfile (--modules-only: do that and stop). The build fails when a page
# includes a missing file or region, includes code without a region or from
# outside src/ and chapters/ (book/.vitepress/snippet-guard.mjs), or links to
# a page that does not exist.
set -euo pipefail

modules_only=false
if [[ ${1:-} == --modules-only ]]; then
    modules_only=true
    shift
fi
book=$(cd "$(dirname "$0")/../book" && pwd)
if [[ $# -gt 0 && $1 != -- ]]; then
    book=$1
    shift
fi
[[ ${1:-} == -- ]] && shift

for tool in node npm; do
    command -v "$tool" >/dev/null || {
        echo "build-book: $tool is missing (scripts/install-deps.sh installs it)" >&2
        exit 1
    }
done

# No telemetry, update checks, audits or funding messages: the only network
# use is npm ci fetching the locked packages from the registry.
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
export NO_UPDATE_NOTIFIER=1

cd "$book"
[[ -f package.json && -f package-lock.json ]] || {
    echo "build-book: $book has no package.json and package-lock.json" >&2
    exit 1
}
# npm ci writes node_modules/.package-lock.json last; its age against the
# committed lockfile says whether node_modules is current. The lock (on the
# lockfile itself, so no lock file is left behind) keeps two builds, such as
# two tests run in parallel, from installing at once or building while the
# other one is replacing node_modules.
exec 9<package-lock.json
flock 9
stamp=node_modules/.package-lock.json
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
    echo "build-book: installing the book's node modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
fi
$modules_only && exit 0
flock -s 9

# VitePress prints its error with a long stack; repeat the book's own
# messages (missing file, region, ...) at the end, where they are seen.
log=$(mktemp /tmp/berth-book-log.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! node_modules/.bin/vitepress build "$@" 2>&1 | tee "$log"; then
    echo >&2
    echo "build-book: the book did not build:" >&2
    sed 's/\x1b\[[0-9;]*m//g' "$log" |
        grep -Eo 'book include: .*|^book: .*|[0-9]+ dead link\(s\) found\.|\(!\) Found dead link .*' |
        awk '!seen[$0]++' | sed 's/^/  /' >&2 || true
    exit 1
fi
echo "build-book: the site is in ${book%/}/.vitepress/dist"
