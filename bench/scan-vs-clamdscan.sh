#!/usr/bin/env bash
# Benchmark: NEGuard's ClamdEngine against 'clamdscan --stream' over the same 200 MiB of files,
# the same clamd (a DemoClamd), the same run (docs/BENCHMARKS.md). Needs hyperfine, GNU time and
# clamav-daemon/clamav/clamdscan:
#   apt-get install hyperfine time clamav-daemon clamav clamdscan
# Usage: bench/scan-vs-clamdscan.sh [WORKDIR]   (default: bench/work/clamd; about 210 MiB)
# NEGuard is measured twice: the whole 'neguard pkg scan' command on a bundle of the tree (JVM
# start, payload check against the manifest, scan, rewrite of the bundle with its report), and
# ClamdBenchRunner (core's test classes), the engine alone over the plain files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work/clamd}"
mkdir -p "$work"

for tool in hyperfine /usr/bin/time clamdscan java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done

# Mixed file sizes, 200 MiB in all, random (incompressible) content:
#   2 x 32 MiB, 8 x 8 MiB, 64 x 512 KiB, 1024 x 32 KiB, 2048 x 4 KiB = 200 MiB in 3146 files
tree="$work/payload"
# shellcheck source=bench/clamd-tree.sh
source "$root/bench/clamd-tree.sh"
make_tree "$work"
echo "payload: $(du -sb "$tree" | cut -f1) bytes in $(find "$tree" -type f | wc -l) files"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -version 2>&1 | head -1
/usr/sbin/clamd --version

(cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
# The whole command is timed as users run it: through the ./neguard launcher, with its JVM options
# (class-data sharing, C2 for the digest loops only). The first call builds and trains it.
cli="$root/neguard"
"$cli" --version
bundle="$work/payload.ngp"
if [ ! -f "$bundle" ] || [ "$work/payload.done" -nt "$bundle" ]; then
  rm -f "$bundle"
  $cli pkg build --name bench --version 1 --security-version 1 --ne-type mme --vendor bench \
    --from "$tree" --out "$bundle" >/dev/null
fi
cp="$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*"

# One DemoClamd for every command (its defaults: MaxFileSize/StreamMaxLength 400M, AlertExceedsMax
# and AlertEncrypted yes); stopped by its runner's PID at exit, which deletes its directory.
start_demo_clamd "$work" "$cp"
echo "clamd: $tcp_spec $unix_spec"

find "$tree" -type f -print0 | xargs -0 cat >/dev/null   # page cache warm for everyone

# The JVM side runs C1 only: the scan loop needs no C2, and on a 2-core machine every CPU second
# the client burns is taken from clamd (default tiered: ~1.4 s user, C1: ~0.55 s user).
jvm_opts="${JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
runner_scan="java $jvm_opts -cp $cp org.neguard.av.ClamdBenchRunner scan"
neguard_unix="$runner_scan $unix_spec $tree"
neguard_tcp="$runner_scan $tcp_spec $tree"
# Each run writes a new bundle; the previous run's output is removed before (not timed): freeing
# 200 MiB on this machine's ext4 (mounted with discard) takes 0.3-0.5 s that belongs to no scan.
pkg_scan="$cli pkg scan $bundle --engine $unix_spec --out $work/scanned.ngp"
pkg_scan_prepare="rm -f $work/scanned.ngp"
clamdscan_stream="clamdscan --config-file=$conf --stream --no-summary --quiet $tree"
clamdscan_multi="clamdscan --config-file=$conf --stream -m --no-summary --quiet $tree"
$neguard_unix        # fails loudly unless every file is clean
$pkg_scan >/dev/null # exit 3 unless every file is clean
$clamdscan_stream

# The machine is shared and its load moves by the minute: hyperfine times each command in a
# block, so the ratio also gets an interleaved run below (each round runs every command, in a
# rotating order) that records wall time and the CPU seconds spent by the client and by clamd.
if [ "${HYPERFINE:-1}" = 1 ]; then
  hyperfine --warmup 1 --runs "${RUNS:-10}" --export-json "$work/hyperfine.json" \
    --prepare "$pkg_scan_prepare" --prepare true --prepare true --prepare true --prepare true \
    -n "neguard pkg scan" "$pkg_scan" \
    -n "ClamdEngine unix" "$neguard_unix" \
    -n "ClamdEngine tcp" "$neguard_tcp" \
    -n "clamdscan --stream" "$clamdscan_stream" \
    -n "clamdscan --stream -m" "$clamdscan_multi"
  python3 - "$work/hyperfine.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
for ours in ("neguard pkg scan", "ClamdEngine unix", "ClamdEngine tcp"):
    for ref in ("clamdscan --stream", "clamdscan --stream -m"):
        print(f"hyperfine medians: {ours} / {ref} = {r[ours] / r[ref]:.2f}x  (target <= 1.10x)")
PY
fi

python3 - "${ROUNDS:-10}" "$clamd_pid" "$work/scanned.ngp" \
  "neguard pkg scan=$pkg_scan" "ClamdEngine unix=$neguard_unix" "ClamdEngine tcp=$neguard_tcp" \
  "clamdscan --stream=$clamdscan_stream" "clamdscan --stream -m=$clamdscan_multi" <<'PY'
import os, resource, statistics, subprocess, sys, time
rounds, pid, scanned = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = [a.split("=", 1) for a in sys.argv[4:]]
tick = os.sysconf("SC_CLK_TCK")
def clamd_cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick          # utime + stime
wall = {n: [] for n, _ in cmds}; cpu = {n: [] for n, _ in cmds}; dcpu = {n: [] for n, _ in cmds}
for i in range(rounds):
    for n, c in cmds[i % len(cmds):] + cmds[:i % len(cmds)]:
        if os.path.exists(scanned):
            os.remove(scanned)                        # not timed: see pkg_scan_prepare
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN); d0 = clamd_cpu(); t0 = time.perf_counter()
        subprocess.run(c, shell=True, check=True, stdout=subprocess.DEVNULL)
        t = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[n].append(t)
        cpu[n].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        dcpu[n].append(clamd_cpu() - d0)
print(f"interleaved, {rounds} rounds (medians):")
print(f"{'command':24} {'wall s':>7} {'client cpu s':>13} {'clamd cpu s':>12}")
for n, _ in cmds:
    print(f"{n:24} {statistics.median(wall[n]):7.3f} {statistics.median(cpu[n]):13.3f} "
          f"{statistics.median(dcpu[n]):12.3f}")
for ours in ("neguard pkg scan", "ClamdEngine unix", "ClamdEngine tcp"):
    for ref in ("clamdscan --stream", "clamdscan --stream -m"):
        per_round = statistics.median(a / b for a, b in zip(wall[ours], wall[ref]))
        print(f"{ours} / {ref}: median wall ratio {statistics.median(wall[ours]) / statistics.median(wall[ref]):.2f}x,"
              f" median per-round ratio {per_round:.2f}x  (target <= 1.10x)")
PY

echo "== peak RSS (GNU time -v)"
for c in "$pkg_scan" "$neguard_unix" "$clamdscan_stream"; do
  echo "${c:0:60}..."
  /usr/bin/time -v $c 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
done
