#!/usr/bin/env bash
# Install everything Berth needs to build, test, run its demo and build its book.
#
# Idempotent and non-interactive: packages already present are skipped, so
# `make demo` and `make test` can call this every time at almost no cost.
# Every package comes from Debian 12; the book's JavaScript comes from npm
# (book/package-lock.json) and is installed by `make book`.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: must run as root (it installs Debian packages)" >&2
    exit 1
fi

# The build: compiler, build tools and the libraries DESIGN.md lists.
build_packages=(
    g++ cmake make ninja-build ccache pkg-config
    libfmt-dev catch2 libcli11-dev nlohmann-json3-dev
    libarchive-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
    libseccomp-dev libcap-dev libnl-route-3-dev libboost-dev
)

# Hygiene: formatting, static analysis, and libFuzzer (clang's runtime).
hygiene_packages=(clang clang-format clang-tidy libclang-rt-14-dev)

# Tests and demo: the base image, reference tools and peers (runc, crun and
# podman for chapter 06's comparisons, hyperfine for `make bench`), and the
# kernel that gives us a real cgroup v2 hierarchy on cgroup v1 hosts.
test_packages=(
    busybox-static util-linux iproute2 procps psmisc uidmap
    runc crun podman conmon netavark hyperfine user-mode-linux
    skopeo umoci
    python3
)

# The book: a static site built with VitePress (from npm), checked in Chromium.
book_packages=(chromium)

missing=()
for pkg in "${build_packages[@]}" "${hygiene_packages[@]}" "${test_packages[@]}" \
           "${book_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

# Node.js may come from Debian (nodejs + npm) or from a vendor package that
# already bundles npm; only ask Debian for what is really absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
