#!/usr/bin/env bash
# Configures (once) and builds saltgw with meson/ninja into build/ (or
# $SALTGW_BUILDDIR). Warnings are errors; meson never downloads.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
builddir=${SALTGW_BUILDDIR:-$here/build}
if [ ! -f "$builddir/build.ninja" ]; then
  rm -rf "$builddir"
  if ! out=$(meson setup "$builddir" "$here" --wrap-mode=nodownload -Dwerror=true ${SALTGW_MESON_ARGS:-} 2>&1); then
    echo "$out" | tail -n 20 >&2
    exit 1
  fi
elif [ -n "${SALTGW_MESON_ARGS:-}" ]; then
  # An existing build folder takes the options given now.
  if ! out=$(meson configure "$builddir" ${SALTGW_MESON_ARGS} 2>&1); then
    echo "$out" | tail -n 20 >&2
    exit 1
  fi
fi
# Targets (e.g. gateway/saltgw) build only what they need; none builds all.
# SALTGW_BUILD_PROGRESS=1 shows ninja's [n/N] lines as it goes (scripts/run.sh).
if [ -n "${SALTGW_BUILD_PROGRESS:-}" ]; then
  echo "build: building ${*:-everything} in $builddir" >&2
  ninja -C "$builddir" "$@" >&2
  exit 0
fi
if ! out=$(ninja -C "$builddir" "$@" 2>&1); then
  echo "$out" | grep -v '^\[' | tail -n 60 >&2
  exit 1
fi
