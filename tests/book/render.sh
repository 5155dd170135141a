#!/usr/bin/env bash
# book.render: build a copy of the book, serve the site on 127.0.0.1, open a
# page in headless Chromium and check that it shows code included from the
# source, as a reader would see it (text of the rendered code blocks).
#
#   tests/book/render.sh [PAGE EXPECTED]
#
# PAGE is a path in the site (01-process.html), EXPECTED a string that is in
# one of its code blocks (a line of the region the page includes). Without
# them, a fixture page is added to the copy and checked, so the test does not
# depend on which chapters are written yet. The expected string is also
# checked to be in the source tree, so the test cannot pass on pasted code.
set -euo pipefail
# shellcheck source=tests/book/lib.sh
source "$(dirname "$0")/lib.sh"
need node npm python3 chromium

page=${1:-}
expected=${2:-}

book_copy root
if [[ -z $page ]]; then
    add_fixture_page "$root" render-fixture
    page=render-fixture.html
    expected=$fixture_line
fi
grep -rqF -- "$expected" "$root/src" "$root/chapters" 2>/dev/null ||
    fail "\"$expected\" is in no file under src/ or chapters/: the test must look for included code"

echo "building the copy of the book"
timeout -k 5 150 "$build_book" "$root/book" >"$root/build.log" 2>&1 || {
    cat "$root/build.log" >&2
    fail "the book did not build"
}
dist=$root/book/.vitepress/dist
[[ -f $dist/$page ]] || fail "the site has no $page"

# Serve the site on a free port of 127.0.0.1 (port 0: the kernel picks one),
# in a process group of its own so cleanup can end it and anything it started.
setsid python3 -u -m http.server --bind 127.0.0.1 --directory "$dist" 0 \
    >"$root/server.log" 2>&1 </dev/null &
server=$!
cleanup_pgids+=("$server")
port=
for _ in $(seq 100); do
    port=$(grep -om1 'port [0-9]*' "$root/server.log" | cut -d' ' -f2 || true)
    [[ -n $port ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
[[ -n $port ]] || { cat "$root/server.log" >&2; fail "the web server did not start"; }
url=http://127.0.0.1:$port/$page
echo "serving $dist on 127.0.0.1:$port"

# Chromium with every background service off: it talks only to our server.
tempdir profile
chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-dev-shm-usage --user-data-dir="$profile")
setsid timeout -k 5 60 chromium "${chromium_flags[@]}" --dump-dom "$url" \
    >"$root/dom.html" 2>"$root/chromium.log" </dev/null &
browser=$!
cleanup_pgids+=("$browser")
wait "$browser" || { tail -20 "$root/chromium.log" >&2; fail "chromium could not open $url"; }

# The text of each code block, as the reader sees it (Shiki splits lines into
# spans; the text is the source).
python3 - "$root/dom.html" "$expected" <<'EOF' || fail "$page does not show \"$expected\" in a code block"
import sys
from html.parser import HTMLParser

class Code(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth, self.blocks, self.title = 0, [], ""
        self.in_h1 = False
    def handle_starttag(self, tag, attrs):
        if tag == "code" and self.depth == 0 and self.in_pre:
            self.depth = 1
            self.blocks.append("")
        elif self.depth:
            self.depth += 1
        if tag == "pre":
            self.in_pre = True
        if tag == "h1":
            self.in_h1 = True
    in_pre = False
    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag == "pre":
            self.in_pre = False
        if tag == "h1":
            self.in_h1 = False
    def handle_data(self, data):
        if self.depth:
            self.blocks[-1] += data
        if self.in_h1:
            self.title += data

dom, expected = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
parser = Code()
parser.feed(dom)
title = parser.title.replace("\u200b", "").strip()
print(f"page title: {title!r}; {len(parser.blocks)} code block(s)")
if not any(expected in block for block in parser.blocks):
    for block in parser.blocks:
        print("--- code block:\n" + block, file=sys.stderr)
    sys.exit(1)
EOF
echo "ok: $url shows \"$expected\""
