#!/usr/bin/env bash
# Configures (once) and builds saltgw with meson/ninja into build/ (or
# $SALTGW_BUILDDIR), through ccache (scripts/ccache-env.sh). Warnings are
# errors; meson never downloads.
#
#   scripts/build.sh [TARGET...]   only these ninja targets (e.g. gateway/saltgw);
#                                  default: everything the folder defines
#
#   SALTGW_MESON_ARGS   options for meson setup (or meson configure, for an
#                       existing folder)
#   SALTGW_JOBS         ninja -j (default: cores + 1)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/ccache-env.sh
. "$here/scripts/ccache-env.sh"
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
  ninja -C "$builddir" -j "${SALTGW_JOBS:-$(( $(nproc) + 1 ))}" "$@" >&2
  exit 0
fi
if ! out=$(ninja -C "$builddir" -j "${SALTGW_JOBS:-$(( $(nproc) + 1 ))}" "$@" 2>&1); then
  echo "$out" | grep -v '^\[' | tail -n 60 >&2
  exit 1
fi
