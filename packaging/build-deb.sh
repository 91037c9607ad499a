#!/usr/bin/env bash
# Builds the saltgw Debian package: saltgw_<version>_<arch>.deb.
#
#   packaging/build-deb.sh [--arch arm64|armhf] [OUTDIR]   (default OUTDIR: build-deb/)
#
# --arch ARCH cross-builds for ARCH on this machine the way Debian does:
# `dpkg-buildpackage --host-arch ARCH` with the build profiles cross,nocheck;
# debian/rules then uses packaging/cross/<triplet>.ini. The :ARCH build
# dependencies come from scripts/cross-deps.sh (SALTGW_INSTALL_BUILD_DEPS=1
# runs it). One of them cannot be installed: libyaml-cpp-dev is not
# Multi-Arch: same in Debian 12, so libyaml-cpp-dev:ARCH would replace the
# amd64 one. cross-deps.sh unpacks it into a sysroot instead and installs
# its runtime library libyaml-cpp0.7:ARCH. So dpkg-checkbuilddeps is run here
# first, and only "libyaml-cpp-dev" may be missing from what it reports;
# then dpkg-buildpackage runs with -d (no second check), and the sysroot's
# pkg-config dir is handed to meson (SALTGW_CROSS_PKG_CONFIG_PATH).
# dpkg-shlibdeps still computes Depends from the installed :ARCH libraries.
# On a board (native build) none of this applies: omit --arch.
#
# debian/ must sit at the source root for dpkg-buildpackage, and the repository
# keeps it in packaging/debian/. So this copies the source tree (the files git
# knows, tracked or new but not ignored; without git, everything but build
# folders and virtual environments) into a temp dir, puts packaging/debian
# there as debian/, writes the debian/changelog entry for meson.build's version
# when the changelog does not have it yet (meson.build's `version :` is the one
# place the version lives), runs `dpkg-buildpackage -us -uc -b`, and leaves in
# OUTDIR: the .deb (and -dbgsym .deb), .buildinfo, .changes, build.log and
# lintian.txt (lintian's findings; the build does not fail on them, the
# caller decides: tests/packaging/package_test.sh fails on any E:).
#
# Environment:
#   DEB_BUILD_OPTIONS          default "parallel=<nproc> nocheck"
#   SALTGW_INSTALL_BUILD_DEPS  1: apt-get build-dep the missing Build-Depends
#                              (and install lintian) instead of failing
#   SALTGW_KEEP_TMP            1: keep the temp build dir
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build_arch=$(dpkg --print-architecture)
arch=$build_arch
if [ "${1:-}" = --arch ]; then
  arch=${2:?--arch needs arm64 or armhf}
  shift 2
fi
out=${1:-$here/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$here/meson.build" | head -n 1)
if [ -z "$version" ]; then
  echo "build-deb: no \`version : '...'\` in $here/meson.build" >&2
  exit 1
fi
cross=0
log=build.log lint=lintian.txt
if [ "$arch" != "$build_arch" ]; then
  case $arch in arm64|armhf) ;; *) echo "build-deb: --arch: arm64 or armhf, not $arch" >&2; exit 2;; esac
  cross=1
  log=build-$arch.log lint=lintian-$arch.txt  # beside the native build's
fi

# The build happens in one fixed folder (not a new temp name each time), so
# that the compiler sees the same paths on every build and ccache
# (scripts/ccache-env.sh) can answer a rebuild from its cache; a lock keeps
# two builds on one machine out of each other's way.
tmp=${SALTGW_DEB_WORKDIR:-/tmp/saltgw-debbuild}
mkdir -p "$tmp"
exec 9>"$tmp.lock"
flock 9
find "$tmp" -mindepth 1 -delete
cleanup() { if [ "${SALTGW_KEEP_TMP:-0}" != 1 ]; then find "$tmp" -mindepth 1 -delete; fi; }
trap cleanup EXIT
src=$tmp/saltgw-$version
mkdir -p "$src"

# 1. The source tree.
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and new-but-not-ignored files that exist in the work tree.
  git -C "$here" ls-files -z --cached --others --exclude-standard |
    (cd "$here" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$here" --null --no-recursion -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$here" --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./.venv \
    --exclude=./.sandbox --exclude=./tmp --exclude=__pycache__ --exclude=.pytest_cache \
    --exclude='*.pyc' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

# 2. The changelog entry for meson.build's version.
top=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [ "$top" != "$version" ]; then
  maint=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Maintainer)
  {
    echo "saltgw ($version) unstable; urgency=medium"
    echo
    echo "  * Build of version $version (from meson.build)."
    echo
    echo " -- $maint  $(date -R)"
    echo
    cat "$src/debian/changelog"
  } > "$src/debian/changelog.new"
  mv "$src/debian/changelog.new" "$src/debian/changelog"
  echo "build-deb: debian/changelog had $top; wrote an entry for $version (meson.build)"
fi

# 3. Build dependencies.
cross_opts=()
if [ "$cross" = 1 ]; then
  # See the top: libyaml-cpp-dev comes from scripts/cross-deps.sh's sysroot.
  if [ "${SALTGW_INSTALL_BUILD_DEPS:-0}" = 1 ]; then
    pcdir=$(bash "$here/scripts/cross-deps.sh" "$arch" | awk -v a="$arch" '$1 == a {print $2}')
  else
    triplet=$(dpkg-architecture -a "$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
    pcdir=${SALTGW_SYSROOT_ROOT:-/var/cache/saltgw/sysroot}/$arch/usr/lib/$triplet/pkgconfig
  fi
  if [ ! -f "$pcdir/yaml-cpp.pc" ]; then
    echo "build-deb: no yaml-cpp sysroot for $arch ($pcdir): run bash scripts/cross-deps.sh $arch" \
         "or rerun with SALTGW_INSTALL_BUILD_DEPS=1" >&2
    exit 1
  fi
  unmet=$( (cd "$src" && dpkg-checkbuilddeps -a "$arch" -P cross,nocheck) 2>&1 |
           sed -n 's/.*Unmet build dependencies: //p' | tr ' ' '\n' | grep -v '^libyaml-cpp-dev$' | grep . || true)
  if [ -n "$unmet" ]; then
    echo "build-deb: missing :$arch build dependencies: $unmet (bash scripts/cross-deps.sh $arch)" >&2
    exit 1
  fi
  export SALTGW_CROSS_PKG_CONFIG_PATH=$pcdir DEB_BUILD_PROFILES="cross nocheck"
  cross_opts=(--host-arch "$arch" -Pcross,nocheck -d)
elif ! (cd "$src" && dpkg-checkbuilddeps) 2>"$tmp/builddeps"; then
  if [ "${SALTGW_INSTALL_BUILD_DEPS:-0}" = 1 ]; then
    echo "build-deb: installing build dependencies"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends build-essential >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q -o DPkg::Lock::Timeout=600 "$src" >"$tmp/apt.log" 2>&1 ||
      { tail -n 20 "$tmp/apt.log" >&2; exit 1; }
  else
    cat "$tmp/builddeps" >&2
    echo "build-deb: install the build dependencies (apt-get build-dep ./ in a tree with debian/," \
         "or rerun with SALTGW_INSTALL_BUILD_DEPS=1)" >&2
    exit 1
  fi
fi

# 4. Build (through ccache; paths below the copied tree are hashed relative to it).
# shellcheck source=scripts/ccache-env.sh
. "$here/scripts/ccache-env.sh"
[ -n "$SALTGW_CCACHE_PREFIX" ] && export CCACHE_BASEDIR=$src
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-"parallel=$(nproc) nocheck"}
what=$arch; [ "$cross" = 1 ] && what="$arch (cross, on $build_arch)"
echo "build-deb: building saltgw $version for $what in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b "${cross_opts[@]}") >"$out/$log" 2>&1; then
  tail -n 40 "$out/$log" >&2
  echo "build-deb: dpkg-buildpackage failed; full log: $out/$log" >&2
  exit 1
fi
echo "build-deb: built in $(( $(date +%s) - start )) s"

deb=saltgw_${version}_${arch}.deb
changes=saltgw_${version}_${arch}.changes
for f in "$deb" "saltgw-dbgsym_${version}_${arch}.deb" "saltgw_${version}_${arch}.buildinfo" "$changes"; do
  if [ -f "$tmp/$f" ]; then cp "$tmp/$f" "$out/"; fi
done
if [ ! -f "$out/$deb" ]; then
  echo "build-deb: dpkg-buildpackage did not make $deb" >&2
  exit 1
fi

# 5. Lintian.
if ! command -v lintian >/dev/null && [ "${SALTGW_INSTALL_BUILD_DEPS:-0}" = 1 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends lintian >/dev/null
fi
if command -v lintian >/dev/null; then
  lintian --info --display-info --pedantic --tag-display-limit 0 "$out/$changes" >"$out/$lint" 2>&1 || true
  echo "build-deb: lintian: $(grep -c '^E:' "$out/$lint" || true) errors," \
       "$(grep -c '^W:' "$out/$lint" || true) warnings ($out/$lint)"
else
  echo "lintian is not installed" >"$out/$lint"
  echo "build-deb: lintian is not installed; no lintian check"
fi

echo "$out/$deb"
