#!/usr/bin/env bash
# The format check must fail on a badly formatted file and name it.
set -euo pipefail
check=${1:?usage: format-detects.sh CHECK_FORMAT_SCRIPT}
dir=$(mktemp -d /tmp/berth-format-XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf 'int  main( ){return 0;}\n' > "$dir/unformatted.cpp"
printf 'int main() {\n  return 0;\n}\n' > "$dir/formatted.cpp"

"$check" "$dir/formatted.cpp" >/dev/null || { echo "FAIL: a formatted file was rejected"; exit 1; }
if output=$("$check" "$dir/unformatted.cpp" 2>&1); then
    echo "FAIL: an unformatted file passed the check"
    exit 1
fi
[[ $output == *"$dir/unformatted.cpp"* ]] || { echo "FAIL: the message does not name the file: $output"; exit 1; }
echo "ok: the check rejects an unformatted file and names it"
