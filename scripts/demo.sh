#!/usr/bin/env bash
# `make demo`: show each chapter at work, with the commands a reader would type.
#
#   scripts/demo.sh BUILD_DIR
#
# Everything the demo creates lives in a temporary directory that is removed
# at the end; containers run in their own mount namespaces, so no mount
# outlives them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
bin=$build/bin
work=$(mktemp -d /tmp/berth-demo-XXXXXX)
# The containers of chapter 08 get their cgroups under a parent named after
# $work, removed (once empty) with it.
cgroup_parent=/$(basename "$work")
cleanup() {
    rmdir /sys/fs/cgroup/*"$cgroup_parent" /sys/fs/cgroup"$cgroup_parent" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

bold=$(tput bold 2>/dev/null || true)
dim=$(tput dim 2>/dev/null || true)
reset=$(tput sgr0 2>/dev/null || true)

chapter() { printf '\n%s== %s ==%s\n' "$bold" "$1" "$reset"; }
say() { printf '%s%s%s\n' "$dim" "$*" "$reset"; }
# Show a command as the reader would type it, run it, and show its exit code.
show() {
    local shown=() word
    for word in "$@"; do
        if [[ $word =~ [^A-Za-z0-9_./=:,-] ]]; then shown+=("'$word'"); else shown+=("$word"); fi
    done
    printf '%s$ %s%s\n' "$bold" "${shown[*]}" "$reset"
    local status=0
    "$@" || status=$?
    printf '%s(exit code %d)%s\n' "$dim" "$status" "$reset"
}

cd "$bin"
export PATH=$bin:$PATH

chapter "Chapter 01 — a process, its exit code, and an init that reaps"
say "A program runs, and its exit code comes back as a shell would report it:"
show berth-ch01 run -- sh -c 'echo "hello from process $$"; exit 42'
say "A program killed by a signal reports 128 + the signal's number (SIGKILL is 9):"
show berth-ch01 run -- sh -c 'kill -9 $$'
say "With --init, an orphan (a process whose parent exited) is adopted by the init,"
say "which reaps it when it ends, so it does not linger as a zombie. This script makes one:"
cat > "$work/orphan.sh" <<'SCRIPT'
sh -c 'sleep 5 & echo $! > "$0"' "$0.pid"  # the middle shell exits at once
orphan=$(cat "$0.pid"); sleep 0.2
echo "orphan $orphan now has parent $(awk '/^PPid/ { print $2 }' /proc/$orphan/status); the init is $PPID"
kill $orphan; sleep 0.2
if [ -e /proc/$orphan ]; then echo "orphan $orphan is a zombie"; else echo "orphan $orphan was reaped"; fi
SCRIPT
sed 's/^/    /' "$work/orphan.sh"
show berth-ch01 run --init -- sh "$work/orphan.sh"

chapter "Chapter 02 — a root filesystem of its own"
"$here/make-busybox-rootfs.sh" "$work/rootfs"
say "A busybox tree in $work/rootfs becomes the container's /, with its own hostname:"
show berth-ch02 run --rootfs "$work/rootfs" --hostname demo -- sh -c 'hostname; ls /; mount | cut -d" " -f1-5'
say "The host's hostname is unchanged: $(hostname)"
say "chroot is not a jail: a root process can climb out of it."
echo "this file lives outside the container" > "$work/outside-marker"
cp "$bin/berth-chroot-escape" "$work/rootfs/bin/"
show berth-ch02 run --rootfs "$work/rootfs" --chroot -- /bin/berth-chroot-escape "$work/outside-marker"
say "pivot_root in a new mount namespace leaves no old root to climb back to:"
show berth-ch02 run --rootfs "$work/rootfs" --pivot -- /bin/berth-chroot-escape "$work/outside-marker"

chapter "Chapter 03 — namespaces"
say "The same tree, now in namespaces of its own: its own hostname, its own PIDs (the"
say "init is PID 1), and a network with nothing but loopback:"
show berth-ch03 run --rootfs "$work/rootfs" --hostname demo -- sh -c 'hostname; ps -o pid,comm; ip -o link'
say "With a user namespace, root inside is an unprivileged user outside:"
chmod 755 "$work"
show berth-ch03 run --rootfs "$work/rootfs" --ns uts,pid,mnt,ipc,net,cgroup,user -- sh -c 'id; cat /proc/self/uid_map'

chapter "Chapter 04 — cgroups"
say "A shell that doubles a string until memory runs out, under a 32 MiB limit:"
show berth-ch04 run --rootfs "$work/rootfs" --memory 32m --stats -- sh -c 'x=a; while :; do x=$x$x; done'
say "The kernel's OOM killer ended it inside its cgroup; the host did not notice."

chapter "Chapter 05 — security"
say "Root in a default container cannot mount, and cannot change the host's hostname:"
show berth-ch05 run --rootfs "$work/rootfs" -- sh -c 'mount -t tmpfs none /tmp; echo evil > /proc/sys/kernel/hostname; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
say "The same with --privileged (mounting a tmpfs in its own namespace is harmless):"
show berth-ch05 run --rootfs "$work/rootfs" --privileged -- sh -c 'mount -t tmpfs none /tmp && echo "mounted a tmpfs on /tmp"'

chapter "Chapter 06 — an OCI runtime"
say "An OCI bundle is a directory: a root filesystem, and a config.json that says what to"
say "run and how. berth-runtime spec writes the one runc spec writes:"
mkdir -p "$work/bundle"
cp -a "$work/rootfs" "$work/bundle/rootfs"
show berth-runtime spec -b "$work/bundle"
say "It runs sh in a terminal; edited like any JSON file, it runs sleep without one:"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["terminal"] = False
config["process"]["args"] = ["sleep", "1000"]
json.dump(config, open(path, "w"), indent="\t")
PY
grep -A3 '"args"' "$work/bundle/config.json"
say "create sets everything up and returns; the container's process waits for start,"
say "blocked opening the exec fifo in the container's state directory:"
show berth-runtime --root "$work/state" create -b "$work/bundle" berth-demo
show berth-runtime --root "$work/state" state berth-demo
show ls "$work/state/berth-demo"
say "start opens the fifo's other end: the process goes on and execs the command, PID 1 inside:"
show berth-runtime --root "$work/state" start berth-demo
show berth-runtime --root "$work/state" exec berth-demo ps
show berth-runtime --root "$work/state" list
say "Nobody tells the runtime when a container stops: each command asks the kernel."
show berth-runtime --root "$work/state" kill berth-demo KILL
sleep 0.5
show berth-runtime --root "$work/state" list
show berth-runtime --root "$work/state" delete berth-demo
say "run is create, start, wait and delete in one, and returns the command's exit code:"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["process"]["args"] = ["sh", "-c", "echo hello from $(hostname), as $(id -un); exit 3"]
json.dump(config, open(path, "w"), indent="\t")
PY
show berth-runtime --root "$work/state" run -b "$work/bundle" berth-demo

chapter "Chapter 07 — overlay filesystems"
say "A container's root made of layers: the busybox tree at the bottom, a layer that"
say "adds a file above it, and a writable directory of the container's own on top:"
mkdir -p "$work/layers/app/srv"
echo 'hello from the app layer' > "$work/layers/app/srv/hello"
layers=(--layer "$work/layers/app" --layer "$work/rootfs")
show berth-ch07 run "${layers[@]}" --upper "$work/layers/c1" -- \
    sh -c 'cat /srv/hello; echo new > /srv/new; rm /bin/vi; rm -r /etc && mkdir /etc'
say "The layers are unchanged; the container's changes are in its upper directory,"
say "a deleted file as a whiteout (a 0/0 character device), the new /etc as opaque:"
show ls -l "$work/layers/c1" "$work/layers/c1/bin"
show berth-ch07 diff "${layers[@]}" --upper "$work/layers/c1"
say "commit writes them as an OCI layer tarball, with the whiteouts as .wh. files:"
show berth-ch07 commit --upper "$work/layers/c1" -o "$work/layers/c1.tar"
show tar -tvf "$work/layers/c1.tar"

chapter "Chapter 08 — images"
say "An image is a root filesystem in layers plus a config, in a content-addressed store."
say "The busybox root filesystem, as a tarball, becomes an image:"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
images=(berth-ch08 --root "$work/data" --state "$work/run")
show "${images[@]}" import "$work/busybox.tar" busybox
show "${images[@]}" images
say "The store is an OCI image layout that any OCI tool reads:"
show ls "$work/data/images" "$work/data/images/blobs/sha256"
say "run unpacks the layers (once, shared by every container of them), mounts an overlay"
say "with a writable layer of the container's own, and runs it with berth-runtime:"
show "${images[@]}" run --cgroup-parent "$cgroup_parent" busybox sh -c 'echo "hello from $(hostname)"; echo changed > /etc/motd'
say "The change stayed in that container's layer, gone with it; the image is unchanged:"
show "${images[@]}" run --cgroup-parent "$cgroup_parent" busybox cat /etc/motd
say "verify checks every blob against its digest; save writes an archive docker and"
say "skopeo both read:"
show "${images[@]}" verify
show "${images[@]}" save -o "$work/busybox-saved.tar" busybox
show tar -tf "$work/busybox-saved.tar"

chapter "What next"
cat <<TEXT
Read the book, starting with its introduction:
    make book
    python3 -m http.server -d book/.vitepress/dist 8080 --bind 127.0.0.1
and open http://127.0.0.1:8080. Each chapter's program has a README that says
what to type and what you see: chapters/01-process/README.md to
chapters/08-images/README.md. Run the tests with: make test
TEXT
