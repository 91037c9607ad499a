#!/usr/bin/env bash
# Configures (once) and builds one sanitizer build of saltgw, through ccache.
#
#   scripts/sanitizer-build.sh asan [TARGET...]
#       build-asan/: clang, ASan + UBSan, -Dfuzz=enabled. One build serves both
#       the libFuzzer targets (scripts/fuzz.sh) and the whole suite under
#       ASan+UBSan (scripts/sanitize.sh asan): the libraries carry libFuzzer's
#       coverage instrumentation (-fsanitize=fuzzer-no-link), which costs the
#       suite a little speed and saves a whole compile of the code.
#   scripts/sanitizer-build.sh tsan [TARGET...]
#       build-tsan/: gcc, ThreadSanitizer.
#
# Warnings are errors, as in the plain build. TARGETs default to everything
# the folder defines (the suite's binaries and, for asan, the fuzz targets).
#
#   SALTGW_SANITIZE_BUILDDIR   another build folder
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/ccache-env.sh
. "$here/scripts/ccache-env.sh"
mode=${1:-}
shift || true
case "$mode" in
  asan)
    b=${SALTGW_SANITIZE_BUILDDIR:-$here/build-asan}
    cc="clang" cxx="clang++"
    args=(-Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link)
    ;;
  tsan)
    b=${SALTGW_SANITIZE_BUILDDIR:-$here/build-tsan}
    cc="gcc" cxx="g++"
    args=(-Db_sanitize=thread -Db_lundef=false)
    ;;
  *) echo "usage: scripts/sanitizer-build.sh asan|tsan [TARGET...]" >&2; exit 2 ;;
esac
if [ "$mode" = asan ] && { ! command -v clang++ >/dev/null 2>&1 ||
   ! compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null; }; then
  echo "sanitizer-build: clang and libclang-rt-14-dev are missing (scripts/deps.sh --for test installs them)" >&2
  exit 1
fi
if [ ! -f "$b/build.ninja" ]; then
  rm -rf "$b"
  # -fsanitize=fuzzer-no-link gives every object libFuzzer's coverage
  # instrumentation; the fuzz targets link with -fsanitize=fuzzer
  # (tests/fuzz/meson.build). b_lundef=false: the sanitizer runtimes are linked
  # into the executables only.
  if ! out=$(CC="${SALTGW_CCACHE_PREFIX}$cc" CXX="${SALTGW_CCACHE_PREFIX}$cxx" \
        meson setup "$b" "$here" --wrap-mode=nodownload -Dwerror=true \
        -Dbuildtype=debugoptimized "${args[@]}" 2>&1); then
    echo "$out" | tail -n 20 >&2
    rm -rf "$b"
    exit 1
  fi
fi
if ! out=$(ninja -C "$b" -j "${SALTGW_JOBS:-$(( $(nproc) + 1 ))}" "$@" 2>&1); then
  echo "$out" | grep -v '^\[' | tail -n 60 >&2
  exit 1
fi
echo "$b"
