#!/bin/bash
# Make sure the kernel has enough huge pages reserved for a server's shared
# memory (the benchmarks' --shared-huge-pages, docs/performance.md):
#   huge_pages.sh SHARED_BUFFERS     e.g. 4GB
# Reserves more (vm.nr_hugepages) when running as root and too few are free,
# and says so; otherwise fails with the command to run.  PostgreSQL's own
# advice for large shared_buffers (its manual, "Linux Huge Pages"): without
# them every backend faults in each 4 kB page of shared memory it touches the
# first time, which on this machine costs ~10 µs a page.
set -euo pipefail
sb=${1:?usage: huge_pages.sh SHARED_BUFFERS}
bytes=$(numfmt --from=iec "${sb%B}")
size_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
[ -n "$size_kb" ] || { echo "huge_pages.sh: this kernel has no huge pages" >&2; exit 1; }
# shared_buffers plus PostgreSQL's other shared memory (~5 %, at least 64 MB)
need=$(awk -v b="$bytes" -v k="$size_kb" 'BEGIN { extra = b * 0.05; if (extra < 67108864) extra = 67108864;
    printf "%d", (b + extra) / (k * 1024) + 1 }')
free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
if [ "$free" -lt "$need" ]; then
    want=$((total + need - free))
    if [ "$(id -u)" = 0 ] && echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null &&
        [ "$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)" -ge "$need" ]; then
        echo "huge_pages.sh: reserved $want huge pages of ${size_kb} kB (vm.nr_hugepages; was $total)" >&2
    else
        echo "huge_pages.sh: $need free huge pages needed, $free free; run as root: sysctl -w vm.nr_hugepages=$want" >&2
        exit 1
    fi
fi
