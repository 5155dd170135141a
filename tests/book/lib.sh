# shellcheck shell=bash
# Shared by the book's test scripts (sourced, not run).
#
# Each test works on a copy of the book in its own /tmp/berth-book-* directory
# (book/ with src/ and chapters/ beside it, as in the repository, because
# pages include code with `<<< @/../src/...`), never on the repository's files.
# node_modules is not copied: the copy links to the repository's, which
# `build-book.sh --modules-only` first brings up to date (npm ci only when the
# lockfile is newer than node_modules).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_book=$repo/scripts/build-book.sh

# What has to go at exit, whatever the exit: process groups and directories.
cleanup_pgids=()
cleanup_dirs=()
cleanup() {
    local pgid dir
    for pgid in "${cleanup_pgids[@]}"; do
        kill -TERM -- "-$pgid" 2>/dev/null || true
    done
    for pgid in "${cleanup_pgids[@]}"; do
        # Wait (at most 5 s) for the group to go, then insist.
        for _ in $(seq 50); do
            kill -0 -- "-$pgid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pgid" 2>/dev/null || true
    done
    for dir in "${cleanup_dirs[@]}"; do
        rm -rf -- "$dir"
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A missing tool fails the test: scripts/install-deps.sh installs them all,
# and a skipped test would hide a missing install step.
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || fail "$tool is not installed (run scripts/install-deps.sh)"
    done
}

# tempdir VAR: a new /tmp/berth-book-* directory, removed at exit.
tempdir() {
    local _td
    _td=$(mktemp -d /tmp/berth-book-XXXXXX)
    cleanup_dirs+=("$_td")
    printf -v "$1" %s "$_td"
}

# book_copy VAR: a fresh copy of the book (and the code it includes); VAR is
# set to its root, which has book/, src/ and chapters/.
book_copy() {
    local _bc
    "$build_book" --modules-only >&2
    tempdir _bc
    mkdir "$_bc/book"
    # tar keeps modification times: the copy's lockfile must not look newer
    # than node_modules, or the build would run npm ci again.
    tar -C "$repo/book" --exclude=./node_modules --exclude=./.vitepress/dist \
        --exclude=./.vitepress/cache -cf - . | tar -C "$_bc/book" -xf -
    local _d
    for _d in src chapters; do
        if [[ -d $repo/$_d ]]; then cp -a "$repo/$_d" "$_bc/$_d"; fi
    done
    ln -s "$repo/book/node_modules" "$_bc/book/node_modules"
    printf -v "$1" %s "$_bc"
}

# add_fixture_page ROOT NAME: a page ROOT/book/NAME.md that includes region
# "book-fixture" of ROOT/src/book-fixture/fixture.cpp, written into the copy
# only. For tests that must not depend on which chapters exist yet.
fixture_line='std::puts("berth book fixture: included by region");'
add_fixture_page() {
    local root=$1 name=$2
    mkdir -p "$root/src/book-fixture"
    cat > "$root/src/book-fixture/fixture.cpp" <<EOF
#include <cstdio>

// Outside the region: the book must not show this line.
// #region book-fixture
int main() {
  $fixture_line
}
// #endregion book-fixture
EOF
    cat > "$root/book/$name.md" <<'EOF'
# Fixture page

A page that exists only in a test's copy of the book.

<<< @/../src/book-fixture/fixture.cpp#book-fixture
EOF
}
