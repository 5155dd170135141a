#!/usr/bin/env bash
# The suite's leak check must fail on something left behind, and name it;
# and must not blame what another build (another tag) leaves.
set -euo pipefail
check=${1:?usage: leak-check-detects.sh LEAK_CHECK_SCRIPT}
tag=detects$$
work=$(mktemp -d /tmp/berth-leakcheck-XXXXXX)
trap 'rm -rf "$work" "${TMPDIR:-/tmp}/berth-test-$tag-left" "${TMPDIR:-/tmp}/berth-test-other$$-left"' EXIT

"$check" baseline "$work/baseline" "$work" "$tag"
mkdir "${TMPDIR:-/tmp}/berth-test-other$$-left"
"$check" check "$work/baseline" "$work" "$tag" >/dev/null ||
    { echo "FAIL: another build's temporary directory was blamed"; exit 1; }

mkdir "${TMPDIR:-/tmp}/berth-test-$tag-left"
if output=$("$check" check "$work/baseline" "$work" "$tag" 2>&1); then
    echo "FAIL: a leftover temporary directory passed the leak check"
    exit 1
fi
[[ $output == *"berth-test-$tag-left"* ]] || { echo "FAIL: the report does not name it: $output"; exit 1; }
echo "ok: the leak check fails on a leftover of its own build and names it"
