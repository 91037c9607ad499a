#!/usr/bin/env bash
# Requests per second and saltgw CPU time per request of the arm64 and armhf
# packages' saltgw under qemu-user, beside the native amd64 build, in one run
# against one sandbox minion (bench/arm_bench.py says what the figures mean
# and what they do not). Needs the packages in build-deb/ (scripts/test-arm.sh
# or packaging/build-deb.sh --arch) and an amd64 build (scripts/build.sh).
#   bash scripts/bench-arm.sh [--seconds N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=$(bash scripts/deps.sh | tail -n 1)
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
SALTGW_BUILDDIR=${SALTGW_BUILDDIR:-$here/build} bash scripts/build.sh
version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" meson.build | head -n 1)
tmp=$(mktemp -d /tmp/saltgw-benchpkg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
args=()
for arch in arm64 armhf; do
  deb=build-deb/saltgw_${version}_${arch}.deb
  [ -f "$deb" ] || { echo "bench-arm: no $deb (bash packaging/build-deb.sh --arch $arch)" >&2; exit 1; }
  dpkg-deb -x "$deb" "$tmp/$arch"
  q=qemu-aarch64; [ "$arch" = armhf ] && q=qemu-arm
  args+=(--arm "$arch=$q:$tmp/$arch/usr/sbin/saltgw")
done
"$venv/bin/python" bench/arm_bench.py --python "$venv/bin/python" \
  --amd64 "${SALTGW_BUILDDIR:-$here/build}/gateway/saltgw" "${args[@]}" "$@"
