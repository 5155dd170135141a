#!/usr/bin/env bash
# Runs a command under a cgroup v2 kernel: Debian's user-mode Linux (UML).
#
#   scripts/uml-run.sh [--launcher PROGRAM] [--timeout SECONDS] -- COMMAND [ARG...]
#
# UML is a Linux kernel that runs as an ordinary process. Its root filesystem
# here is the host's own (hostfs), so COMMAND is a host path and sees the
# host's files: the tests it runs must write only under temporary
# directories. The init script this generates mounts /proc, /sys and a pure
# cgroup2 hierarchy on /sys/fs/cgroup, enables the cpu, memory, pids and io
# controllers for the children of the root, runs COMMAND, writes its output
# and exit code next to itself, and powers the kernel off.
#
# --launcher PROGRAM starts UML through PROGRAM (berth-uml-launch, which works
# around UML's crash on AVX-512 CPUs). The whole run is killed after
# --timeout seconds (default 90), with every process of UML: it runs as the
# init of a PID namespace of its own, so that nothing of it can outlive it.
#
# Prints COMMAND's output, and exits with COMMAND's exit code; 124 on a
# timeout, 2 when UML cannot run at all (then the kernel's log is printed).
set -euo pipefail

launcher=()
timeout=90
while [[ $# -gt 0 ]]; do
    case $1 in
        --launcher) launcher=("$(realpath "$2")"); shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "usage: uml-run.sh [--launcher PROGRAM] [--timeout SECONDS] -- COMMAND..." >&2; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { echo "uml-run: no command" >&2; exit 2; }

uml=${BERTH_UML:-/usr/bin/linux.uml}
if [[ ! -x $uml ]]; then
    echo "uml-run: $uml not found: install user-mode-linux (scripts/install-deps.sh)" >&2
    exit 2
fi

# The init script runs in its own directory: make a relative COMMAND absolute.
if [[ $1 == */* ]]; then
    set -- "$(realpath "$1")" "${@:2}"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-test-${BERTH_TEST_TAG:-untagged}-uml.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# The init script: PID 1 of the UML kernel. printf %q quotes COMMAND for bash.
{
    echo '#!/bin/bash'
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    # UML 6.1 does not keep the AVX registers of its processes (see
    # tests/04-cgroups/uml_launch.cpp): glibc's AVX string functions then
    # return garbage (printf prints its format). Make glibc use SSE only.
    echo 'export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX2,-AVX,-BMI2,-RTM'
    echo 'mount -t proc proc /proc && mount -t sysfs sysfs /sys &&'
    echo '  mount -t cgroup2 cgroup2 /sys/fs/cgroup &&'
    echo '  echo "+cpu +memory +pids +io" > /sys/fs/cgroup/cgroup.subtree_control ||'
    echo "  echo 'uml-run: could not set up the cgroup v2 hierarchy' > $(printf %q "$dir/output")"
    printf 'cd %q\n' "$dir"
    printf '%q ' "$@"
    printf '> %q 2>&1\n' "$dir/output"
    printf 'echo $? > %q\n' "$dir/status"
    # hostfs writes go through UML's page cache: flush them before power-off.
    echo 'sync'
    echo 'echo o > /proc/sysrq-trigger'
    echo 'sleep 60'
} > "$dir/init"
chmod +x "$dir/init"

# UML's processes work in $dir, which marks them: after the run we wait
# until none is left (the kernel kills a PID namespace's processes when its
# init dies, but not instantly).
cd "$dir"
# UML's console wants pipes (it cannot poll regular files or /dev/null).
# The kernel's own log goes to $dir/kernel.log, shown when something fails.
set +e
: | unshare --pid --fork --kill-child \
    timeout --kill-after=5 "$timeout" "${launcher[@]}" "$uml" mem=512M root=/dev/root rootfstype=hostfs hostfs=/ rw \
    init="$dir/init" con=null con0=fd:0,fd:1 2>&1 | cat > "$dir/kernel.log"
result=${PIPESTATUS[1]}
set -e
cd /
for _ in $(seq 100); do
    left=$(find /proc/[0-9]*/cwd -maxdepth 0 -lname "$dir*" 2>/dev/null || true)
    [[ -z $left ]] && break
    sleep 0.1
done

[[ -f $dir/output ]] && cat "$dir/output"
if [[ ! -f $dir/status ]]; then
    echo "uml-run: the command did not finish under UML (exit status $result); kernel log:" >&2
    tail -n 40 "$dir/kernel.log" >&2
    [[ $result == 124 ]] && exit 124
    exit 2
fi
exit "$(cat "$dir/status")"
