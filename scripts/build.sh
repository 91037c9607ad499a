#!/usr/bin/env bash
# Configures (once) and builds saltgw with meson/ninja into build/.
# Warnings are errors; meson never downloads (wrap_mode=nodownload).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
builddir=${SALTGW_BUILDDIR:-$here/build}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$here" --wrap-mode=nodownload -Dwerror=true ${SALTGW_MESON_ARGS:-} >/dev/null
fi
ninja -C "$builddir" >/dev/null || ninja -C "$builddir"
