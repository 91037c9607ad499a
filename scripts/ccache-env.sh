# Sourced by the build scripts: compile through ccache (Debian's package),
# with one cache per machine under /var/cache, shared by every clone and every
# build folder (plain, sanitizers, fuzzers, package, cross builds).
#
#   SALTGW_CCACHE=0   compile without it
#   CCACHE_DIR        the cache (default /var/cache/saltgw/ccache; a folder in
#                     the checkout when /var/cache is not writable)
#
# Hits across clones in different folders: paths under the checkout are
# rewritten relative to it (CCACHE_BASEDIR), and the build folder's absolute
# path is left out of the hash (CCACHE_NOHASHDIR; it only changes debug
# info's DW_AT_comp_dir). The compiler is recognised by its content, so an
# upgraded compiler misses instead of returning stale objects.
#
# Meson puts ccache in front of the compiler by itself when it is on PATH and
# CC/CXX are unset; where a script sets CC/CXX (clang builds) or a cross file
# names the compiler, it uses $SALTGW_CCACHE_PREFIX ("ccache " or "").
_saltgw_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SALTGW_CCACHE_PREFIX=
if [ "${SALTGW_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null 2>&1; then
  if [ -z "${CCACHE_DIR:-}" ]; then
    if mkdir -p /var/cache/saltgw/ccache 2>/dev/null && [ -w /var/cache/saltgw/ccache ]; then
      CCACHE_DIR=/var/cache/saltgw/ccache
    else
      CCACHE_DIR=$_saltgw_root/.ccache
    fi
  fi
  export CCACHE_DIR
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$_saltgw_root}
  export CCACHE_NOHASHDIR=1
  export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-content}
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-6G}
  SALTGW_CCACHE_PREFIX="ccache "
else
  # Meson would still pick ccache up from PATH.
  export CCACHE_DISABLE=1
fi
export SALTGW_CCACHE_PREFIX
unset _saltgw_root
