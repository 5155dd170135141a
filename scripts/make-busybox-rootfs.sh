#!/usr/bin/env bash
# Build the smallest useful root filesystem: Debian's static busybox and its
# applet links, plus the files a Unix program expects to find.
#
#   scripts/make-busybox-rootfs.sh DEST
#
# DEST is replaced. Used by the tests (once per test run), the demo and the book.
set -euo pipefail

dest=${1:?usage: make-busybox-rootfs.sh DEST}
busybox=${BUSYBOX:-/bin/busybox}

# A dynamic busybox would need the host's libc inside the container.
if [[ $(ldd "$busybox" 2>&1 || true) != *"not a dynamic executable"* ]]; then
    echo "make-busybox-rootfs: $busybox is not a static busybox (install busybox-static)" >&2
    exit 1
fi

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cd "$dest.tmp"
mkdir -p bin sbin usr/bin usr/sbin etc root proc sys dev tmp var/tmp
cp "$busybox" bin/busybox
# One link per applet, at the place busybox says it belongs (bin/ls, sbin/ip ...).
for applet in $(bin/busybox --list-full); do
    [[ $applet == bin/busybox ]] && continue
    mkdir -p "$(dirname "$applet")"
    ln -sf /bin/busybox "$applet"
done
cat > etc/passwd <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > etc/group <<'GROUP'
root:x:0:
daemon:x:1:
nogroup:x:65534:
GROUP
echo "berth" > etc/hostname
chmod 1777 tmp var/tmp
chmod 700 root
cd - >/dev/null
rm -rf "$dest"
mv "$dest.tmp" "$dest"
