#!/usr/bin/env bash
# Fuzz every target in tests/fuzz with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 600); TARGET names like path_search (default:
# all). New inputs found are kept in build-fuzz/corpus/NAME (the committed
# seeds in tests/fuzz/corpus/NAME are only read); a crash leaves its input in
# build-fuzz/findings/NAME and fails the run. A finding becomes a regression
# test by copying its input into tests/fuzz/corpus/NAME/ (see tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
build=build-fuzz

# Everything is instrumented for coverage (fuzzer-no-link) and checked by the
# sanitizers; only the fuzz-* executables link libFuzzer's main.
cmake -S . -B "$build" -G Ninja -DBERTH_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
    >/dev/null

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cd tests/fuzz && ls -1 ./*.cpp | sed 's|^\./||; s|\.cpp$||' | grep -vx replay_main)
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz-}"

failed=()
for name in "${targets[@]}"; do
    mkdir -p "$build/corpus/$name" "$build/findings/$name"
    echo "fuzz: $name for ${seconds}s"
    if ! "$build/bin/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$build/findings/$name/" \
            "$build/corpus/$name" "tests/fuzz/corpus/$name" \
            >"$build/fuzz-$name.log" 2>&1; then
        tail -30 "$build/fuzz-$name.log" >&2
        failed+=("$name")
    else
        grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/fuzz-$name.log" |
            sed "s/^/  /"
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: findings in ${failed[*]}: inputs are in $build/findings/" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no findings"
