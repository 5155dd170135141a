#!/usr/bin/env bash
# Berth creates containers: it needs Linux and root. Say so plainly, before
# anything is installed or built, instead of failing later in a stranger way.
set -euo pipefail
if [[ $(uname -s) != Linux ]]; then
    echo "berth: needs Linux (containers are built from Linux kernel features); this is $(uname -s)" >&2
    exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "berth: needs root: the demo and the tests create namespaces, mounts and cgroups," >&2
    echo "       and install Debian packages. Run it again with sudo." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null; then
    echo "berth: scripts/install-deps.sh installs Debian 12 packages with apt-get, which this host lacks;" >&2
    echo "       install the packages it lists by hand, then run cmake and ctest directly." >&2
    exit 1
fi
