#!/bin/bash
# Install what building and testing touchpoint needs, from Debian's archive only.
# Safe to run again: it installs only what is missing.  Must run as root.
#   deps.sh        everything the tests need: the build's, IPC::Run (TAP),
#                  clang, libFuzzer and the sanitizer runtimes (test/engine,
#                  test/fuzz)
#   deps.sh demo   what the demo needs: the build's (the server headers, make,
#                  gcc) and pg_cron -- no clang or LLVM
set -euo pipefail

mode=${1:-all}
case "$mode" in
all|demo) ;;
*) echo "usage: deps.sh [demo]" >&2; exit 2 ;;
esac

need=()
PG_MAJOR=${PG_MAJOR:-15}
[ -f /usr/include/postgresql/$PG_MAJOR/server/postgres.h ] || need+=(server-dev)
[ -f /usr/lib/postgresql/$PG_MAJOR/lib/pg_cron.so ] || need+=(postgresql-$PG_MAJOR-cron)
command -v make >/dev/null && command -v gcc >/dev/null || need+=(build-essential)
if [ "$mode" = all ]; then
    perl -MIPC::Run -e1 2>/dev/null || need+=(libipc-run-perl)
    command -v clang >/dev/null || need+=(clang)
    # libFuzzer and the sanitizer runtimes clang links (test/engine, test/fuzz):
    # clang only recommends them, so --no-install-recommends leaves them out
    if ! command -v clang >/dev/null ||
       [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ]; then
        need+=(libclang-rt-dev)
    fi
fi

if [ ${#need[@]} -eq 0 ]; then
    echo "deps: everything is already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing ${need[*]}; run this script as root to install them" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
APT="apt-get -o DPkg::Lock::Timeout=600 -q -y"
$APT update >/dev/null
pkgs=()
for p in "${need[@]}"; do
    if [ "$p" = server-dev ]; then
        # Pin the dev headers to the installed server so apt does not upgrade it.
        srv=$(dpkg-query -W -f='${Version}' postgresql-$PG_MAJOR 2>/dev/null || true)
        dev=postgresql-server-dev-$PG_MAJOR
        if [ -n "$srv" ] && apt-cache madison $dev | grep -qF " $srv "; then dev="$dev=$srv"; fi
        pkgs+=("$dev")
    else
        pkgs+=("$p")
    fi
done
echo "deps: installing ${pkgs[*]}"
$APT install --no-install-recommends "${pkgs[@]}" >/dev/null
echo "deps: done"
