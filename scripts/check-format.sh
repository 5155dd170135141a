#!/usr/bin/env bash
# Fail, naming each file, when a C++ file of the tree is not formatted as
# .clang-format says. `make format` fixes them.
#
#   scripts/check-format.sh             check every C++ file of the tree
#   scripts/check-format.sh --fix       format them in place
#   scripts/check-format.sh FILE...     check these files (with the tree's style)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
style=file:$root/.clang-format

if [[ $# -gt 0 && $1 != --fix ]]; then
    files=("$@")
else
    mapfile -t files < <(cd "$root" && git ls-files --cached --others --exclude-standard -- '*.cpp' '*.h' |
        sed "s|^|$root/|")
fi
if [[ ${1:-} == --fix ]]; then
    clang-format -i --style="$style" "${files[@]}"
    exit 0
fi

unformatted=()
for file in "${files[@]}"; do
    if ! clang-format --dry-run -Werror --style="$style" "$file" >/dev/null 2>&1; then
        unformatted+=("${file#"$root"/}")
    fi
done
if [[ ${#unformatted[@]} -gt 0 ]]; then
    echo "check-format: not formatted as .clang-format says (run: make format):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
