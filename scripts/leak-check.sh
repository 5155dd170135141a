#!/usr/bin/env bash
# The suite's final leak check (DESIGN.md, test safety rule 5).
#
#   scripts/leak-check.sh baseline STATE_FILE BUILD_DIR TAG   record what exists before the tests
#   scripts/leak-check.sh check STATE_FILE BUILD_DIR TAG      fail if the tests left anything new
#
# "Berth's" means: a mount, network device or network namespace whose name
# contains "berth"; a cgroup named by this build's tests (berth-test-TAG-*) or
# by a berth program (berth*, but not another build's berth-test-* nor a
# running `make bench`'s berth-bench-*); a process
# running a program of this build (a container's init is one: it is berth's
# own code, never exec'ed away) or living under one of this build's temporary
# directories; a leftover /tmp/berth-test-TAG-* directory. TAG is the build's
# own (tests/CMakeLists.txt), so another build testing at the same time on this
# machine is never blamed. Comparing
# against a baseline means the check never blames something that was already
# there, and it only ever reads: it never unmounts or kills anything.
set -euo pipefail

mode=${1:?usage: leak-check.sh baseline|check STATE_FILE}
state=${2:?usage: leak-check.sh baseline|check STATE_FILE BUILD_DIR}
build=$(cd "${3:?usage: leak-check.sh baseline|check STATE_FILE BUILD_DIR TAG}" && pwd -P)
ours=berth-test-${4:?usage: leak-check.sh baseline|check STATE_FILE BUILD_DIR TAG}

snapshot() {
    # Mounts, as this (the host's) mount namespace sees them.
    awk '$5 ~ /berth/ || $4 ~ /berth/ { print "mount " $5 }' /proc/self/mountinfo
    # cgroups, on every hierarchy (v1 and v2).
    find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d \
        \( -name "$ours-*" -o \( -name 'berth*' ! -name 'berth-test-*' ! -name 'berth-bench-*' \) \) \
        2>/dev/null |
        sed 's/^/cgroup /'
    # Network devices in the host's namespace, and named network namespaces.
    ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /berth/ { print "netdev " $2 }'
    ip netns list 2>/dev/null | awk '/berth/ { print "netns " $1 }'
    # Processes: a program of this build, or anything whose executable,
    # working directory or root is inside a test's temporary directory.
    for proc in /proc/[0-9]*; do
        pid=${proc#/proc/}
        [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
        comm=$(cat "$proc/comm" 2>/dev/null) || continue
        exe=$(readlink "$proc/exe" 2>/dev/null) || true
        where=$(readlink "$proc/exe" "$proc/cwd" "$proc/root" 2>/dev/null | tr '\n' ' ') || true
        if [[ $exe == "$build"/* || $where == *"$ours"-* ]]; then
            echo "process $pid $comm $where"
        fi
    done
    # Temporary directories the test support failed to remove.
    find "${TMPDIR:-/tmp}" -mindepth 1 -maxdepth 1 -name "$ours-*" 2>/dev/null |
        sed 's/^/tempdir /'
}

case $mode in
    baseline)
        snapshot | sort > "$state"
        ;;
    check)
        [[ -f $state ]] || { echo "leak-check: no baseline at $state" >&2; exit 2; }
        leaks=$(comm -13 "$state" <(snapshot | sort))
        if [[ -n $leaks ]]; then
            echo "leak-check: the tests left these behind:" >&2
            echo "$leaks" >&2
            exit 1
        fi
        echo "leak-check: nothing left behind"
        ;;
    *)
        echo "leak-check: unknown mode $mode" >&2
        exit 2
        ;;
esac
