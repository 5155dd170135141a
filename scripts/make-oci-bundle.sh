#!/usr/bin/env bash
# Make an OCI bundle around an existing root filesystem: runc's default
# config.json (`runc spec`), edited to run COMMAND without a terminal.
#
#   scripts/make-oci-bundle.sh [--cgroups-path PATH] [--writable] BUNDLE ROOTFS COMMAND [ARG...]
#
# BUNDLE is created if needed and its config.json replaced. ROOTFS is used in
# place, by absolute path, not copied: the root is read-only (runc's default),
# so one rootfs can serve many bundles and many containers at once. --writable
# makes it writable, for a container that needs to write to its root (give
# each such container its own copy). --cgroups-path sets linux.cgroupsPath;
# without it the runtime picks a cgroup named after the container.
#
# Used by the benchmark (bench/run.sh) and the tests that compare runtimes.
set -euo pipefail

usage="usage: make-oci-bundle.sh [--cgroups-path PATH] [--writable] BUNDLE ROOTFS COMMAND [ARG...]"
cgroups_path=""
readonly_root=true
while [[ $# -gt 0 && $1 == --* ]]; do
    case $1 in
        --cgroups-path) cgroups_path=${2:?$usage}; shift 2 ;;
        --writable) readonly_root=false; shift ;;
        --) shift; break ;;
        *) echo "make-oci-bundle: unknown option $1" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done
if [[ $# -lt 3 ]]; then
    echo "$usage" >&2
    exit 2
fi
bundle=$1
rootfs=$2
shift 2

if [[ ! -x $rootfs/bin/sh && ! -L $rootfs/bin/sh ]]; then
    echo "make-oci-bundle: $rootfs does not look like a root filesystem (no bin/sh)" >&2
    exit 1
fi
rootfs=$(cd "$rootfs" && pwd -P)
mkdir -p "$bundle"
rm -f "$bundle/config.json"
runc spec --bundle "$bundle"

# `runc spec` writes an interactive shell (args ["sh"], terminal true): a
# terminal needs a console socket that scripts and tests do not have.
python3 - "$bundle/config.json" "$rootfs" "$cgroups_path" "$readonly_root" "$@" <<'EDIT'
import json
import sys

path, rootfs, cgroups_path, readonly_root, *args = sys.argv[1:]
with open(path, encoding="utf-8") as f:
    config = json.load(f)
config["root"] = {"path": rootfs, "readonly": readonly_root == "true"}
config["process"]["args"] = args
config["process"]["terminal"] = False
if cgroups_path:
    config["linux"]["cgroupsPath"] = cgroups_path
with open(path, "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
EDIT
