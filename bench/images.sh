#!/usr/bin/env bash
# Chapters 07-08's benchmark (`make bench`, after bench/run.sh): how fast
# berth unpacks a layer, and how its image store copes with many layers and
# many tags.
#
#   bench/images.sh [BUILD_DIR]
#
#   1. extraction: two layers of 100 MiB of data each, uncompressed tar made
#      once per run: (a) one file of random bytes, (b) 25,600 files of 4 KiB
#      in nested directories. GNU tar, berth-ch07 apply and umoci unpack
#      unpack each, side by side in one hyperfine run, onto a file system of
#      the benchmark's own (a loop-mounted ext4: see below why); medians and
#      ratios to GNU tar (the target: at least as fast).
#   2. scale: an image of 50 layers (the busybox root filesystem, then 49
#      layers that add one file each) as an OCI archive: `berth-ch08 load`
#      into a fresh store, `berth-ch08 run IMAGE true` the first time (50
#      layers to unpack) and again (unpacked already), and a 1-layer image's
#      run for reference; podman's `load` and `run` of the same archive as a
#      peer, if podman is installed.
#   3. tags: the image tagged 1,000 times (one `berth-ch08 tag` each: the
#      total time), then `berth-ch08 images` and `images -q`.
#
# berth-ch07, berth-ch08 and berth-runtime come from BUILD_DIR/bin (default:
# the repository's build/); a program that is not built is skipped with a
# note, and the peers are measured all the same.
#
# Environment: RUNS (default 10) and WARMUP (1) for hyperfine; LAYER_MIB
# (100) and SMALL_FILES (25600) for the extraction; LAYERS (50) and TAGS
# (1000) for the store. Results (hyperfine's JSON and report, the tagging
# time) go to BUILD_DIR/bench/images-*.
#
# A benchmark, not a test: it is not part of `make test`, and its numbers
# depend on the machine and on how busy it is (the load average is printed).
#
# berth failing (a command that cannot apply the layer, load, import or run
# the image) is the benchmark's own failure: its message is printed, the
# peers are measured all the same, and the exit status is 1.
#
# Everything lives in a temporary directory (the extraction's file systems are
# mounted under it) and a cgroup parent, both named berth-bench-*, removed on
# exit (also on Ctrl-C, kill, or an error). Every long step runs in a
# process group of its own, which the cleanup kills.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-${BUILD_DIR:-$repo/build}}
[[ $build == /* ]] || build=$PWD/$build
runs=${RUNS:-10}
warmup=${WARMUP:-1}
layer_mib=${LAYER_MIB:-100}
small_files=${SMALL_FILES:-25600}
layer_count=${LAYERS:-50}
tag_count=${TAGS:-1000}

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

[[ $(id -u) -eq 0 ]] || die "must run as root (extraction keeps owners; containers need namespaces and cgroups)"
for tool in hyperfine tar umoci python3 setsid sync mkfs.ext4; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/install-deps.sh)"
done
[[ $(tar --version | head -n 1) == *"GNU tar"* ]] || die "tar is not GNU tar"

work=$(mktemp -d /tmp/berth-bench-XXXXXX)
name=$(basename "$work")   # berth-bench-XXXXXX: the cgroup parent too
out=$build/bench
job_pid=""

# Undo everything, whatever state the run stopped in: the running step's
# process group, then whatever is left in our cgroups (containers, conmon),
# then the cgroups deepest first, then mounts under the directory, then the
# files.
cleanup() {
    local status=$? cg
    trap - EXIT INT TERM
    if [[ -n $job_pid ]] && kill -TERM -- "-$job_pid" 2>/dev/null; then
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 -- "-$job_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$job_pid" 2>/dev/null || true
    fi
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
    # berth-ch08 and podman mount only in mount namespaces of their own,
    # which end with their processes. Should a mount under $work show up
    # here all the same, it is ours: unmount it (deepest first) rather than
    # delete through it; leave the directory if one stays.
    awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo |
        sort -r | while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
    if grep -q " ${work}[/ ]" /proc/self/mountinfo; then
        echo "bench: something is still mounted under $work; left it in place" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a long step in a process group of its own and waits for it: `wait`
# returns as soon as a signal arrives, so Ctrl-C or kill stops the run at
# once, and the cleanup ends the whole group (hyperfine and what it runs).
job() {
    setsid "$@" <&0 &   # <&0: keep our stdin (a here-document, say), not /dev/null
    job_pid=$!
    local status=0
    wait "$job_pid" || status=$?
    job_pid=""
    return "$status"
}

# hyperfine with our defaults, its report kept next to its JSON. -N: no
# shell between hyperfine and the command; nor its --prepare, which is why
# those that need one say `sh -c` (see shell_line).
bench() {
    local label=$1
    shift
    if ! job hyperfine -N --style basic --export-json "$out/images-$label.json" "$@" \
        >"$out/images-$label.txt" 2>&1; then
        cat "$out/images-$label.txt"
        die "hyperfine failed ($label)"
    fi
    if grep -q 'outliers were detected' "$out/images-$label.txt"; then
        say "  (hyperfine saw statistical outliers: something else was running; see $out/images-$label.txt)"
    fi
}

# A --prepare command line that needs a shell (&&): hyperfine -N splits it
# into words itself. Our paths have no quotes in them.
shell_line() { printf "sh -c '%s'" "$1"; }

have() { [[ -x $build/bin/$1 ]]; }
ch07=$build/bin/berth-ch07
ch08=$build/bin/berth-ch08

mkdir -p "$out" "$work/layers"
rm -f "$out"/images-*.json "$out"/images-*.txt

# The data, and the OCI layouts that hold it, written by python3: the
# small-files tree (extract-tree), the 49 one-file layers (small-layers), and
# an image layout of given layer tarballs, uncompressed, hardlinked into
# blobs/ (layout).
py() {
    job python3 - "$@" <<'PY'
import hashlib, io, json, os, sys, tarfile

def extract_tree(dest, count):
    # 25 directories of 32 subdirectories of 32 files of 4 KiB (for 25,600):
    # a deep-ish tree, as a real root filesystem has.
    data = os.urandom(4096 * 256)
    for i in range(count):
        d = os.path.join(dest, f"d{i // 1024:02d}", f"s{i // 32 % 32:02d}")
        if i % 32 == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
            offset = (i * 4099) % (len(data) - 4096)   # no two files alike
            f.write(data[offset:offset + 4096])

def small_layers(dest, count):
    for i in range(2, count + 1):
        with tarfile.open(os.path.join(dest, f"{i:03d}.tar"), "w", format=tarfile.USTAR_FORMAT) as t:
            d = tarfile.TarInfo("bench")
            d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 1700000000
            t.addfile(d)
            body = f"layer {i}\n".encode()
            f = tarfile.TarInfo(f"bench/layer-{i:03d}")
            f.size, f.mode, f.mtime = len(body), 0o644, 1700000000
            t.addfile(f, io.BytesIO(body))

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()

def layout(dest, reference, tag, layers):
    blobs = os.path.join(dest, "blobs", "sha256")
    os.makedirs(blobs)

    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return digest, len(data)

    descriptors, diff_ids = [], []
    for path in layers:
        digest = sha256_file(path)
        if not os.path.exists(os.path.join(blobs, digest)):
            os.link(path, os.path.join(blobs, digest))
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": "sha256:" + digest, "size": os.path.getsize(path)})
        diff_ids.append("sha256:" + digest)   # uncompressed: the same digest
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"bench layer {i + 1}"} for i in range(len(layers))],
    }
    config_digest, config_size = blob(json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + config_digest, "size": config_size},
        "layers": descriptors,
    }
    manifest_digest, manifest_size = blob(json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + manifest_digest, "size": manifest_size,
        # containerd's way: the whole reference, and the tag alone.
        "annotations": {"io.containerd.image.name": reference,
                        "org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(dest, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(dest, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(config_digest)

command, args = sys.argv[1], sys.argv[2:]
if command == "extract-tree":
    extract_tree(args[0], int(args[1]))
elif command == "small-layers":
    small_layers(args[0], int(args[1]))
else:
    layout(args[0], args[1], args[2], args[3:])
PY
}

# An uncompressed layer tarball of DIR's contents: ustar, as Go's
# archive/tar (Docker, BuildKit) writes when names are short, sorted, no
# "./" prefix.
make_layer() {
    local dir=$1 tarball=$2
    # shellcheck disable=SC2046 # the top-level names: ours, without spaces
    job tar -C "$dir" --format=ustar --sort=name --numeric-owner -cf "$tarball" -- $(ls -A "$dir")
}

say "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) (at start)"
say "versions: $(tar --version | head -n 1), umoci $(umoci --version | awk '{ print $3 }'), $(hyperfine --version)"
say "work directory: $work ($(df --output=fstype "$work" | tail -n 1))"

# -------------------------------------------------------------------------
# 1. Extraction.
say ""
say "== 1. layer extraction =="
say "making the layers: one file of $layer_mib MiB, and $small_files files of 4 KiB ..."
mkdir -p "$work/gen/big" "$work/gen/small"
job sh -c "head -c ${layer_mib}M /dev/urandom >'$work/gen/big/data.bin'"
py extract-tree "$work/gen/small" "$small_files"
make_layer "$work/gen/big" "$work/layers/big.tar"
make_layer "$work/gen/small" "$work/layers/small.tar"
rm -rf "$work/gen"
for kind in big small; do
    py layout "$work/umoci-$kind" "localhost/berth-bench:$kind" "$kind" "$work/layers/$kind.tar" >/dev/null
done

berth_failed=false
# berth's failure, in its own words; the peers are measured all the same.
berth_fails() {
    berth_failed=true
    say "note: $1: ${2:-no message}"
    say "      measuring the peers only; the benchmark will exit with status 1"
}
extract_have_berth=false
if ! have berth-ch07; then
    say "note: $ch07 is not built; measuring GNU tar and umoci only"
elif ! output=$(mkdir "$work/check" && "$ch07" apply "$work/layers/small.tar" "$work/check" 2>&1); then
    berth_fails "berth-ch07 cannot apply the small-file layer" "$output"
else
    extract_have_berth=true
fi
rm -rf "$work/check"
# Each extractor unpacks onto a file system of its own: a fresh ext4 in a
# sparse file, loop-mounted on $work/fs-TOOL, and unmounted and deleted
# after this section (the cleanup unmounts them too if the run stops here).
# Why not /tmp itself: for a minute or more after a file is deleted, ext4
# will not give its inode to a new file (recently_deleted() in
# fs/ext4/ialloc.c), and creating a file then means looking past all the
# recently deleted ones. On a file system that others use (or where the
# previous run's trees were just deleted) that made one run of GNU tar take
# 0.4 s and the next 20 s; perf put 75% of every extractor's time there.
# On these, nothing is deleted while it is measured: each run's target is
# renamed away, not removed, and each file system goes at the end in one
# unlink. Why one per extractor: hyperfine times all of one command's runs
# before the next command's, and on a shared file system the later
# commands created their files in one the earlier ones had filled.
extractors=(tar umoci)
if $extract_have_berth; then extractors=(tar berth umoci); fi
fs_inodes=$(((small_files + small_files / 16 + 1000) * (runs + warmup + 1) + 100000))
fs_mib=$(((layer_mib * 2 + 300) * (runs + warmup + 1) / 2 + fs_inodes / 2048 + 1024))
# The shell line before each run: moves TOOL's target for KIND out of the
# way, if it is there, then unmounts TOOL's file system and mounts it again.
# Unmounting writes back what the run before left dirty and drops its files
# from the kernel's caches: without it, each run paid for the writeback and
# the memory of the runs before, and the runs of one command got slower and
# slower (from 0.42 to 0.83 s, for the same program and the same layer).
away() {
    local fs=$work/fs-$1
    echo "if [ -e $fs/$2 ]; then mv $fs/$2 \$(mktemp -d -p $fs/old-$2)/; fi && umount $fs && mount -o loop $fs.img $fs"
}
say "making a file system for each extractor's targets: ext4, $((fs_mib / 1024)) GiB sparse, $fs_inodes inodes ..."
for tool in "${extractors[@]}"; do
    truncate -s "${fs_mib}M" "$work/fs-$tool.img"
    job mkfs.ext4 -q -F -N "$fs_inodes" -E lazy_itable_init=0,lazy_journal_init=0 "$work/fs-$tool.img"
    mkdir "$work/fs-$tool"
    mount -o loop "$work/fs-$tool.img" "$work/fs-$tool"
done
for kind in big small; do
    layer=$work/layers/$kind.tar
    say "extracting the $kind layer ($(du -m "$layer" | cut -f1) MiB tar, $(tar -tf "$layer" | wc -l) entries): $runs runs after $warmup warm-up ..."
    for tool in "${extractors[@]}"; do mkdir "$work/fs-$tool/old-$kind"; done
    args=(-n "GNU tar" --prepare "$(shell_line "$(away tar "$kind") && mkdir $work/fs-tar/$kind")"
        "tar -xf $layer -C $work/fs-tar/$kind")
    if $extract_have_berth; then
        args+=(-n "berth-ch07 apply"
            --prepare "$(shell_line "$(away berth "$kind") && mkdir $work/fs-berth/$kind")"
            "$ch07 apply $layer $work/fs-berth/$kind")
    fi
    args+=(-n "umoci unpack" --prepare "$(shell_line "$(away umoci "$kind")")"
        "umoci unpack --image $work/umoci-$kind:$kind $work/fs-umoci/$kind")
    bench "extract-$kind" --warmup "$warmup" --runs "$runs" "${args[@]}"
done
for tool in "${extractors[@]}"; do
    umount "$work/fs-$tool"
    rm -f "$work/fs-$tool.img"
done

# -------------------------------------------------------------------------
# 2. Scale: 50 layers.
say ""
say "== 2. an image of $layer_count layers =="
"$repo/scripts/make-busybox-rootfs.sh" "$work/busybox"
mkdir -p "$work/layers50"
make_layer "$work/busybox" "$work/layers50/001.tar"
py small-layers "$work/layers50" "$layer_count"
image50=localhost/berth-bench:$layer_count-layers
py layout "$work/oci50" "$image50" "$layer_count-layers" "$work"/layers50/*.tar >"$work/image50.id"
image50_id=$(cat "$work/image50.id")
archive=$work/image-$layer_count-layers.tar
job tar -C "$work/oci50" -cf "$archive" oci-layout index.json blobs
rm -rf "$work/oci50"
say "archive: $(du -m "$archive" | cut -f1) MiB, $layer_count layers (busybox + one file each), image ID sha256:${image50_id:0:12}"

cgroup_parent=/$name
store_have_berth=false
if have berth-ch08 && have berth-runtime; then
    store_have_berth=true
else
    say "note: berth-ch08 or berth-runtime is not built in $build/bin; skipping berth's store benchmarks"
fi

if $store_have_berth; then
    stores=$work/stores
    state=$work/state
    # berth-ch08 on a store: the "warm" one keeps its images from run to run.
    warm=("$ch08" --root "$stores/warm" --state "$state")
    fresh=("$ch08" --root "$stores/fresh" --state "$state")
    # A store with both images, used by the second runs and the tags; one
    # command each first, so that a failure is named in berth's own words.
    job tar -C "$work/busybox" -cf "$work/busybox.tar" .
    # (Output to a file, not $(...): a job must run in this shell, for the
    # cleanup to know it.)
    log=$work/check.log
    store_fails() { berth_fails "$@"; store_have_berth=false; }
    if ! job "${warm[@]}" load -i "$archive" >"$log" 2>&1; then
        store_fails "berth-ch08 cannot load the $layer_count-layer archive" "$(cat "$log")"
    elif ! job "${warm[@]}" import "$work/busybox.tar" localhost/berth-bench:1-layer >"$log" 2>&1; then
        store_fails "berth-ch08 cannot import the busybox tarball" "$(cat "$log")"
    elif ! job "${warm[@]}" run --cgroup-parent "$cgroup_parent/check" "$image50" true >"$log" 2>&1; then
        store_fails "berth-ch08 cannot run the $layer_count-layer image" "$(cat "$log")"
    fi
fi
if $store_have_berth; then
    say "measuring load, run (first: unpacks $layer_count layers), run (again): $runs runs after $warmup warm-up ..."
    run_cmd="run --cgroup-parent $cgroup_parent/berth"
    # sync -f before the runs of a store already unpacked: they should not
    # wait for the writeback of the layers the rows before them unpacked.
    bench store --warmup "$warmup" --runs "$runs" \
        -n "berth-ch08 load" --prepare "rm -rf $stores/fresh" \
        "${fresh[*]} load -i $archive" \
        -n "berth-ch08 run (first)" --prepare "$(shell_line "rm -rf $stores/fresh && ${fresh[*]} load -i $archive")" \
        "${fresh[*]} $run_cmd $image50 true" \
        -n "berth-ch08 run (again)" --prepare "sync -f $stores" \
        "${warm[*]} $run_cmd $image50 true" \
        -n "berth-ch08 run (1 layer)" --prepare "sync -f $stores" \
        "${warm[*]} $run_cmd localhost/berth-bench:1-layer true"
    rm -rf "$stores/fresh"
fi

# podman as a peer: everything in the work directory and a mount namespace
# of its own (as tests/06-runtime/podman_test.cpp does); vfs storage, which
# mounts nothing; runc, since crun refuses a cgroup v1 hybrid host.
if command -v podman >/dev/null; then
    say "measuring podman load and run of the same archive (vfs storage, runc) ..."
    p=$work/podman
    mkdir -p "$p"/{storage,run,tmp,var-lib,networks,hooks.d}
    cat >"$p/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[network]
network_backend = "cni"
network_config_dir = "$p/networks"
[engine]
cgroup_manager = "cgroupfs"
conmon_env_vars = ["CONTAINERS_CONF=$p/containers.conf", "CONTAINERS_STORAGE_CONF=$p/storage.conf", "CONTAINERS_REGISTRIES_CONF=$p/registries.conf", "TMPDIR=$p/tmp"]
events_logger = "file"
events_logfile_path = "$p/events.log"
hooks_dir = ["$p/hooks.d"]
image_copy_tmp_dir = "$p/tmp"
lock_type = "file"
tmp_dir = "$p/tmp"
CONF
    cat >"$p/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$p/storage"
runroot = "$p/run"
CONF
    : >"$p/registries.conf"
    # runc keeps its state in /run/runc unless told otherwise, and podman 4.3
    # drops --runtime-flag from some of its calls: a wrapper tells it every
    # time (one more exec per runc call, as tests/06-runtime/podman_test.cpp).
    printf '#!/bin/sh\nexec runc --root %s "$@"\n' "$p/runc-state" >"$p/runc"
    chmod +x "$p/runc"
    podman_flags="--runtime $p/runc --root $p/storage --runroot $p/run --tmpdir $p/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file"
    run_flags="--rm --pull never --network none --cgroup-parent $cgroup_parent/podman"
    # One shell in a private mount namespace, /var/lib replaced there (podman
    # keeps a blob cache in /var/lib/containers whatever --root says); it runs
    # hyperfine, so every podman command shares that namespace.
    if job env CONTAINERS_CONF="$p/containers.conf" CONTAINERS_STORAGE_CONF="$p/storage.conf" \
        CONTAINERS_REGISTRIES_CONF="$p/registries.conf" TMPDIR="$p/tmp" \
        unshare --mount --propagation private -- sh -c "
            mount --bind '$p/var-lib' /var/lib &&
            podman $podman_flags load -i '$archive' &&
            podman $podman_flags run $run_flags $image50_id true &&
            hyperfine -N --style basic --export-json '$out/images-podman.json' \
                --warmup $warmup --runs $runs \
                -n 'podman load' --prepare 'podman $podman_flags rmi -af' \
                'podman $podman_flags load -q -i $archive' \
                -n 'podman run (again)' --prepare true \
                'podman $podman_flags run $run_flags $image50_id true'
            status=\$?
            podman $podman_flags rm -af >/dev/null 2>&1
            podman $podman_flags rmi -af >/dev/null 2>&1
            exit \$status" >"$out/images-podman.txt" 2>&1; then
        :
    else
        say "note: podman could not load or run the archive: see $out/images-podman.txt"
    fi
    rm -rf "$p"
else
    say "note: podman is not installed; no podman peer"
fi

# -------------------------------------------------------------------------
# 3. Tags.
if $store_have_berth; then
    say ""
    say "== 3. $tag_count tags =="
    say "tagging the $layer_count-layer image $tag_count times (one berth-ch08 tag each) ..."
    tagged=true
    start=$(date +%s%N)
    for ((i = 1; i <= tag_count; i++)); do
        if ! "${warm[@]}" tag "$image50" "localhost/berth-bench:tag-$i" >"$log" 2>&1; then
            berth_fails "berth-ch08 tag failed at tag $i" "$(cat "$log")"
            tagged=false
            break
        fi
    done
    end=$(date +%s%N)
    if $tagged; then
        printf '{"tags": %d, "seconds": %.3f}\n' "$tag_count" "$(((end - start) / 1000))e-6" >"$out/images-tag.json"
        say "measuring images and images -q with $((tag_count + 2)) tags: $runs runs after $warmup warm-up ..."
        bench list --warmup "$warmup" --runs "$runs" \
            -n "berth-ch08 images" "${warm[*]} images" \
            -n "berth-ch08 images -q" "${warm[*]} images -q"
    fi
fi

# -------------------------------------------------------------------------
# The table.
python3 - "$out" "$layer_count" <<'TABLE'
import json, os, sys

out, layer_count = sys.argv[1], sys.argv[2]

def results(label):
    path = os.path.join(out, f"images-{label}.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return {r["command"]: r for r in json.load(f)["results"]}

def row(name, r, ref=None):
    line = f"{name:26} {r['median'] * 1000:10.1f} {r['min'] * 1000:8.1f} {(r['user'] + r['system']) * 1000:8.1f}"
    if ref is not None:
        line += f" {r['median'] / ref['median']:11.2f}"
    return line

print()
print("== results ==")
head = f"{'':26} {'median ms':>10} {'min ms':>8} {'cpu ms':>8}"
for kind, what in (("big", "one large file"), ("small", "many small files")):
    r = results(f"extract-{kind}")
    if not r:
        continue
    print(f"extraction, {what}:")
    print(head + f" {'× GNU tar':>11}")
    for name, result in r.items():
        print(row(name, result, r["GNU tar"]))
store = {**results("store"), **results("podman")}
if store:
    print(f"store, a {layer_count}-layer image:")
    print(head)
    for name, result in store.items():
        print(row(name, result))
tag_path = os.path.join(out, "images-tag.json")
if os.path.exists(tag_path):
    with open(tag_path, encoding="utf-8") as f:
        tag = json.load(f)
    print(f"tags: {tag['tags']} x berth-ch08 tag took {tag['seconds']:.1f} s in all, "
          f"{tag['seconds'] * 1000 / tag['tags']:.1f} ms a tag")
    listing = results("list")
    if listing:
        print(head)
        for name, result in listing.items():
            print(row(name, result))
print()
print("min ms: the fastest run; cpu ms: user + system time, mean per run.")
print("× GNU tar: this row's median divided by GNU tar's (below 1 is faster).")
print("umoci unpack also hashes the layer (its digest, its diff ID) and writes an mtree")
print("manifest of the whole tree (a SHA-256 of every file) for a later repack: more work than extraction.")
TABLE

say ""
say "load average $(cut -d' ' -f1-3 /proc/loadavg) (at end); hyperfine's own output and JSON: $out/images-*"
if $berth_failed; then
    exit 1
fi
