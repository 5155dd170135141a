#!/usr/bin/env bash
# Chapter 06's benchmark (`make bench`): how long an OCI runtime takes to `run`
# a container that does nothing, and how many such containers it gets through.
#
#   bench/run.sh [BUILD_DIR]
#
# Runtimes, side by side on the same busybox bundle running /bin/true:
# berth-runtime (from BUILD_DIR/bin, default: the repository's build/;
# skipped with a note if it is not built), runc and crun; plus a floor: bare
# `unshare` of the five namespaces a bundle asks for, which is what any
# runtime pays at least.
#
#   1. start latency: hyperfine, all commands in one run; medians and ratios;
#   2. throughput: COUNT containers, JOBS at a time, containers per second;
#   3. if berth-runtime is built: one run with BERTH_TRACE=1, to see where
#      the time goes.
#
# Environment: RUNS (default 50) and WARMUP (5) for hyperfine, COUNT (50) and
# JOBS (2) for the throughput, ROUNDS (3) throughput rounds (the median is
# reported). Results (hyperfine's JSON, the throughput) go to BUILD_DIR/bench.
#
# A benchmark, not a test: it is not part of `make test`, and its numbers
# depend on the machine and on how busy it is (the load average is printed).
#
# Everything lives in a temporary directory and a cgroup parent, both named
# berth-bench-*, removed on exit; containers are `run` in the foreground, so
# each runtime deletes its container when /bin/true exits.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-${BUILD_DIR:-$repo/build}}
[[ $build == /* ]] || build=$PWD/$build
runs=${RUNS:-50}
warmup=${WARMUP:-5}
count=${COUNT:-50}
jobs=${JOBS:-2}
rounds=${ROUNDS:-3}

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || die "must run as root (runtimes create namespaces and cgroups)"
for tool in hyperfine runc crun unshare nsenter python3 xargs; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done

work=$(mktemp -d /tmp/berth-bench-XXXXXX)
name=$(basename "$work")   # berth-bench-XXXXXX: container ids and the cgroup parent
out=$build/bench
holder_pid=""

# Undo everything, whatever state the run stopped in: containers first (their
# processes hold the cgroups), then cgroups deepest first, then the files.
cleanup() {
    local status=$? root rt id cg
    trap - EXIT INT TERM
    for root in "$work"/state/*; do
        [[ -d $root ]] || continue
        rt=$(basename "$root")
        for id in $(run_in_ns_of "$rt" "$(runtime_bin "$rt")" --root "$root" list -q 2>/dev/null); do
            run_in_ns_of "$rt" "$(runtime_bin "$rt")" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
        done
    done
    if [[ -n $holder_pid ]]; then
        exec {holder_in}>&-
        wait "$holder_pid" 2>/dev/null || true
    fi
    # A container interrupted half-way may have left a process in its cgroup
    # with no state to delete it by; whatever is in our own cgroups is ours.
    for cg in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
        [[ -d $cg ]] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
    done | sort -u | xargs -r kill -KILL 2>/dev/null || true
    for cg in /sys/fs/cgroup/*/"$name" /sys/fs/cgroup/"$name"; do
        [[ -d $cg ]] || continue
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null && break
            sleep 0.2   # killed processes leave their cgroup when they are reaped
        done
        [[ ! -d $cg ]] || echo "bench: could not remove cgroup $cg (still in use?)" >&2
    done
    # The rootfs is a plain directory: nothing is mounted under $work in this
    # mount namespace. Refuse to delete through a mount if that ever changes.
    if grep -q " ${work}[/ ]" /proc/self/mountinfo; then
        echo "bench: something is mounted under $work; left it in place" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

runtime_bin() {
    case $1 in
        berth-runtime) echo "$build/bin/berth-runtime" ;;
        *) command -v "$1" ;;
    esac
}

# crun refuses a cgroup v1 "hybrid" host (v1 controllers under /sys/fs/cgroup,
# an empty cgroup v2 tree at /sys/fs/cgroup/unified). It is happy on the same
# host without the v2 tree, so it runs in a mount namespace of its own where
# that one mount is gone: a helper process unshares it, unmounts, and waits;
# crun's commands enter it with nsenter. The helper exits when this script
# closes its stdin, so it cannot outlive the benchmark.
hybrid=false
if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs &&
      $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || true) == cgroup2fs ]]; then
    hybrid=true
    coproc HOLDER {
        exec unshare --mount --propagation private -- \
            sh -c 'umount /sys/fs/cgroup/unified && echo ready && read -r _'
    }
    # shellcheck disable=SC2153 # HOLDER_PID is set by coproc
    holder_pid=$HOLDER_PID
    holder_in=${HOLDER[1]}
    read -r ready <&"${HOLDER[0]}" || true
    [[ ${ready:-} == ready ]] || die "could not make a mount namespace without /sys/fs/cgroup/unified for crun"
fi

# The command prefix that puts RUNTIME where it can work (crun on a hybrid host).
ns_prefix() {
    if [[ $1 == crun && $hybrid == true ]]; then
        echo "nsenter --target $holder_pid --mount"
    fi
}
run_in_ns_of() {
    local rt=$1
    shift
    # shellcheck disable=SC2046 # the prefix is words by design
    $(ns_prefix "$rt") "$@"
}

runtimes=()
if [[ -x $build/bin/berth-runtime ]]; then
    runtimes+=(berth-runtime)
else
    say "note: $build/bin/berth-runtime is not built; benchmarking runc and crun only"
fi
runtimes+=(runc crun)

# One busybox rootfs, shared read-only by every bundle.
"$repo/scripts/make-busybox-rootfs.sh" "$work/rootfs"
mkdir -p "$out"

# One latency bundle per runtime, and COUNT throughput bundles per runtime (one
# cgroup per container, since JOBS run at once). Bundles are a config.json.
make_bundles() {
    local rt=$1
    mkdir -p "$work/state/$rt"
    "$repo/scripts/make-oci-bundle.sh" --cgroups-path "/$name/$rt" \
        "$work/bundles/$rt" "$work/rootfs" /bin/true
    python3 - "$work/bundles/$rt/config.json" "$work/throughput/$rt" "/$name/$rt" "$count" <<'COPIES'
import json, os, sys
template, dest, cgroup, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(template, encoding="utf-8") as f:
    config = json.load(f)
for i in range(1, count + 1):
    os.makedirs(f"{dest}/{i}")
    config["linux"]["cgroupsPath"] = f"{cgroup}-{i}"
    with open(f"{dest}/{i}/config.json", "w", encoding="utf-8") as f:
        json.dump(config, f)
COPIES
}
for rt in "${runtimes[@]}"; do
    make_bundles "$rt"
done

# The command that runs one container of RUNTIME with id ID in BUNDLE.
run_cmd() {
    local rt=$1 bundle=$2 id=$3
    echo "$(ns_prefix "$rt") $(runtime_bin "$rt") --root $work/state/$rt run --bundle $bundle $id"
}

# One container each first: a runtime that cannot run the bundle is named, with
# its own words, rather than hidden behind hyperfine's "non-zero exit code".
# runc and crun are the yardsticks: without them there is nothing to compare.
# berth-runtime failing is the benchmark's own failure (exit status 1), but
# the yardsticks are still measured.
berth_failed=false
working=()
for rt in "${runtimes[@]}"; do
    if output=$(run_in_ns_of "$rt" "$(runtime_bin "$rt")" --root "$work/state/$rt" run \
        --bundle "$work/bundles/$rt" "$name-$rt-check" 2>&1); then
        working+=("$rt")
    elif [[ $rt == berth-runtime ]]; then
        berth_failed=true
        say "note: berth-runtime cannot run the benchmark's bundle: ${output:-no message}"
        say "      benchmarking runc and crun only; the benchmark will exit with status 1"
    else
        die "$rt cannot run the benchmark's bundle: ${output:-no message}"
    fi
done
runtimes=("${working[@]}")

say "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
say "versions: runc $(runc --version | awk 'NR==1 { print $3 }'), crun $(crun --version | awk 'NR==1 { print $3 }'), $(hyperfine --version)"
$hybrid && say "host: cgroup v1 hybrid; crun runs in a mount namespace without /sys/fs/cgroup/unified (via nsenter, cost measured below)"

# 1. Start latency. -N: no shell between hyperfine and the command. Each
# runtime reuses one id: `run` deletes the container before it returns.
say ""
say "measuring start latency: run /bin/true, $runs runs after $warmup warm-up runs ..."
args=()
for rt in "${runtimes[@]}"; do
    args+=(-n "$rt" "$(run_cmd "$rt" "$work/bundles/$rt" "$name-$rt")")
done
args+=(-n "unshare (5 namespaces)" "unshare --fork --pid --mount --uts --ipc --net true")
if $hybrid; then
    args+=(-n "nsenter (crun's way in)" "nsenter --target $holder_pid --mount true")
fi
hyperfine -N --style basic --warmup "$warmup" --runs "$runs" \
    --export-json "$out/latency.json" "${args[@]}" >"$out/hyperfine.txt" 2>&1 ||
    { cat "$out/hyperfine.txt"; die "hyperfine failed (a runtime could not run the bundle?)"; }
if grep -q 'outliers were detected' "$out/hyperfine.txt"; then
    say "(hyperfine saw statistical outliers: something else was running; see $out/hyperfine.txt)"
fi

# 2. Throughput. xargs -P: JOBS containers at a time, each with its own id
# and cgroup; the whole batch enters crun's namespace once.
say "measuring throughput: $count containers, $jobs at a time, $rounds rounds ..."
: >"$out/throughput.txt"
for rt in "${runtimes[@]}"; do
    for ((round = 1; round <= rounds; round++)); do
        start=$(date +%s%N)
        seq 1 "$count" | run_in_ns_of "$rt" xargs -P "$jobs" -I '{}' \
            "$(runtime_bin "$rt")" --root "$work/state/$rt" run \
            --bundle "$work/throughput/$rt/{}" "$name-$rt-{}" ||
            die "$rt: a container of the throughput run failed"
        end=$(date +%s%N)
        echo "$rt $count $((end - start))" >>"$out/throughput.txt"
    done
done

# The table: medians, and ratios to berth-runtime (when built) and crun.
python3 - "$out/latency.json" "$out/throughput.txt" <<'TABLE'
import json, statistics, sys

with open(sys.argv[1], encoding="utf-8") as f:
    latency = {r["command"]: r for r in json.load(f)["results"]}
rates = {}
with open(sys.argv[2], encoding="utf-8") as f:
    for line in f:
        rt, n, ns = line.split()
        rates.setdefault(rt, []).append(int(n) / (int(ns) / 1e9))

def ms(name):
    return latency[name]["median"] * 1000

refs = [r for r in ("berth-runtime", "crun") if r in latency]
head = f"{'':24} {'median ms':>10} {'min ms':>7} {'cpu ms':>7}"
head += "".join(f" {'× ' + r:>15}" for r in refs) + f" {'containers/s':>13}"
print()
print("== results ==")
print(head)
for name, r in latency.items():
    row = f"{name:24} {ms(name):10.1f} {r['min'] * 1000:7.1f} {(r['user'] + r['system']) * 1000:7.1f}"
    row += "".join(f" {ms(name) / ms(ref):15.2f}" for ref in refs)
    if name in rates:
        row += f" {statistics.median(rates[name]):13.1f}"
    print(row)
print()
print("min ms: the fastest run, the nearest to the cost on an idle machine.")
print("cpu ms: user + system time, mean per run; it bounds throughput once the cores are busy.")
print("× X: this row's median latency divided by X's (below 1 is faster than X).")
print("containers/s: median over the rounds of the throughput run.")
if "nsenter (crun's way in)" in latency:
    print("crun's latency includes entering its mount namespace: the nsenter row.")
TABLE

# 3. Where berth-runtime's time goes, if it says (BERTH_TRACE=1).
if [[ ${runtimes[0]} == berth-runtime ]]; then
    say ""
    say "== BERTH_TRACE=1 berth-runtime run (one container) =="
    BERTH_TRACE=1 "$build/bin/berth-runtime" --root "$work/state/berth-runtime" run \
        --bundle "$work/bundles/berth-runtime" "$name-trace" 2>&1 || say "(exit code $?)"
fi

say ""
say "load average $(cut -d' ' -f1-3 /proc/loadavg) (at end); hyperfine's own output and JSON: $out"
if $berth_failed; then
    exit 1
fi
