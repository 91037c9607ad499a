#!/usr/bin/env bash
# Installs what a cross build of saltgw for ARM needs on a Debian 12 amd64
# machine, all from Debian's packages, and prints one line per architecture:
#   <arch> <yaml-cpp pkg-config dir>
#
#   bash scripts/cross-deps.sh arm64 armhf
#
# - dpkg --add-architecture <arch>, apt-get update (only when it was missing);
# - crossbuild-essential-<arch>, pkgconf:<arch> (the <triplet>-pkg-config),
#   qemu-user, lintian, debhelper, po-debconf;
# - the :<arch> build dependencies (libpistache-dev, libzmq3-dev, cppzmq-dev,
#   libmsgpack-cxx-dev, libsodium-dev, libgtest-dev,
#   libgmock-dev) and libyaml-cpp0.7:<arch>, yaml-cpp's runtime library;
# - a yaml-cpp sysroot, see below.
#
# yaml-cpp: Debian 12's libyaml-cpp-dev is not "Multi-Arch: same", so
# libyaml-cpp-dev:arm64 cannot be installed beside the amd64 one the native
# build needs (apt would remove one for the other). Everything else about
# yaml-cpp is co-installable: its headers are the same on every architecture,
# and libyaml-cpp0.7 (the shared library) is Multi-Arch: same. So the runtime
# library is installed with apt (dpkg then knows it, which dpkg-shlibdeps needs
# to write "libyaml-cpp0.7 (>= 0.7.0)" into the package's Depends, and qemu
# finds it at run time), and libyaml-cpp-dev:<arch> -- the .so link, the .pc
# and the headers -- is unpacked with `apt-get download` + `dpkg -x` into
# $SALTGW_SYSROOT_ROOT/<arch> (default /var/cache/saltgw/sysroot), with the .pc's
# prefix pointed there. A build adds that pkgconfig dir with meson's
# -Dpkg_config_path (debian/rules does, when SALTGW_CROSS_PKG_CONFIG_PATH is
# set); nothing else is taken from the sysroot. On an ARM board none of this
# is needed: libyaml-cpp-dev installs normally.
#
# Idempotent: what is installed already is not installed again; the sysroot is
# remade only when the package version changes.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 arm64|armhf..." >&2; exit 2; }
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
root=${SALTGW_SYSROOT_ROOT:-/var/cache/saltgw/sysroot}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apt_install() {
  # dpkg's lock may be held by another apt run on a shared machine: wait.
  local i
  for i in $(seq 1 60); do
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
         -o DPkg::Lock::Timeout=120 "$@" >/tmp/saltgw-cross-apt.log 2>&1; then
      return 0
    fi
    grep -q "Could not get lock\|is held by process" /tmp/saltgw-cross-apt.log || break
    sleep 5
  done
  tail -n 20 /tmp/saltgw-cross-apt.log >&2
  return 1
}

need_update=0
for arch in "$@"; do
  case $arch in arm64|armhf) ;; *) echo "cross-deps: unknown architecture $arch (arm64, armhf)" >&2; exit 2;; esac
  dpkg --print-foreign-architectures | grep -qx "$arch" || { $SUDO dpkg --add-architecture "$arch"; need_update=1; }
done
[ "$need_update" = 1 ] && $SUDO apt-get update -qq -o DPkg::Lock::Timeout=120

pkgs=(qemu-user lintian debhelper po-debconf meson ninja-build rapidjson-dev libyaml-cpp-dev)
for arch in "$@"; do
  pkgs+=("crossbuild-essential-$arch" "pkgconf:$arch" "libyaml-cpp0.7:$arch")
  for p in libpistache-dev libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libsodium-dev \
           libgtest-dev libgmock-dev; do
    pkgs+=("$p:$arch")
  done
done
missing=()
for p in "${pkgs[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cross-deps: installing ${missing[*]}" >&2
  apt_install "${missing[@]}" || { apt-get update -qq -o DPkg::Lock::Timeout=120 && apt_install "${missing[@]}"; }
fi

for arch in "$@"; do
  triplet=$(dpkg-architecture -a "$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
  # The -dev package of the same version as the installed runtime library.
  version=$(dpkg-query -W -f='${Version}' "libyaml-cpp0.7:$arch")
  sysroot=$root/$arch
  pcdir=$sysroot/usr/lib/$triplet/pkgconfig
  if [ "$(cat "$sysroot/.version" 2>/dev/null)" != "$version" ] || [ ! -f "$pcdir/yaml-cpp.pc" ]; then
    echo "cross-deps: unpacking libyaml-cpp-dev:$arch $version into $sysroot" >&2
    dl=$(mktemp -d /tmp/saltgw-sysroot.XXXXXX)
    chmod 755 "$dl"  # apt-get download fetches as the _apt user
    (cd "$dl" && apt-get download -q "libyaml-cpp-dev:$arch=$version" "libyaml-cpp0.7:$arch=$version" >/dev/null)
    rm -rf "$sysroot"
    mkdir -p "$sysroot"
    for deb in "$dl"/*.deb; do dpkg -x "$deb" "$sysroot"; done
    rm -rf "$dl"
    sed -i "s|^prefix=.*|prefix=$sysroot/usr|" "$pcdir/yaml-cpp.pc"
    echo "$version" > "$sysroot/.version"
  fi
  echo "$arch $pcdir"
done
