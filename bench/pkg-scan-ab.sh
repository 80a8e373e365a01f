#!/usr/bin/env bash
# Benchmark (issue 17): the whole 'neguard pkg scan' command of two builds, A and B, side by side
# with 'clamdscan --stream -m' (clamd's own parallel mode) and 'clamdscan --stream' over the same
# 200 MiB, 3146-file tree, against one DemoClamd, in one run (docs/BENCHMARKS.md).
#   apt-get install hyperfine clamav-daemon clamav clamdscan
# Usage: bench/pkg-scan-ab.sh A_DIR B_DIR [WORKDIR]
#   A_DIR, B_DIR: a built CLI each (neguard-cli.jar with its lib/ beside it: copy
#   neguard-cli/target/neguard-cli.jar and neguard-cli/target/lib of each checkout after
#   'mvn -o -B -q package -pl neguard-cli -am -DskipTests').
# Each build runs as the launcher runs it (serial GC, class-data sharing, C2 for the digest and
# sniffer loops only), with its own class-data archive trained on one 'pkg scan' of the bundle.
# RUNS (default 5) hyperfine runs after one warm-up; ROUNDS (default 6) interleaved rounds.
# C_JAVA=/path/to/jdk25/bin/java adds a third build: B on that JDK with an AOT cache (JEP 483/514)
# trained on one 'pkg scan' of the bundle, instead of the class-data archive.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
a_dir="$(cd "$1" && pwd)"
b_dir="$(cd "$2" && pwd)"
work="${3:-$root/bench/work/pkg-scan-ab}"
mkdir -p "$work"
for tool in hyperfine clamdscan java python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done

tree="$work/payload"
# shellcheck source=bench/clamd-tree.sh
source "$root/bench/clamd-tree.sh"
make_tree "$work"
directives="$root/neguard-cli/src/main/jvm/compiler-directives.json"
base_opts="-XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -XX:CompilerDirectivesFile=$directives"
bundle="$work/payload.ngp"
[ -f "$bundle" ] || java $base_opts -jar "$a_dir/neguard-cli.jar" pkg build --name bench --version 1 \
  --security-version 1 --ne-type mme --vendor bench --from "$tree" --out "$bundle" >/dev/null

(cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
cp="$root/neguard-av/target/test-classes:$a_dir/lib/*"
start_demo_clamd "$work" "$cp"
out="$work/scanned.ngp"
for d in "$a_dir" "$b_dir"; do
  rm -f "$d/bench-cds.jsa" "$out"
  java $base_opts -XX:ArchiveClassesAtExit="$d/bench-cds.jsa" -jar "$d/neguard-cli.jar" pkg scan \
    "$bundle" --engine "$unix_spec" --out "$out" >/dev/null 2>&1
done
find "$tree" -type f -print0 | xargs -0 cat >/dev/null
cat "$bundle" >/dev/null

c_cmd=()
if [ -n "${C_JAVA:-}" ]; then
  rm -f "$b_dir/bench.aot" "$out"
  "$C_JAVA" $base_opts -XX:AOTCacheOutput="$b_dir/bench.aot" -jar "$b_dir/neguard-cli.jar" pkg scan \
    "$bundle" --engine "$unix_spec" --out "$out" >/dev/null 2>&1
  pkg_c="$C_JAVA $base_opts -XX:AOTCache=$b_dir/bench.aot -jar $b_dir/neguard-cli.jar pkg scan $bundle --engine $unix_spec --out $out"
  c_cmd=(--prepare "rm -f $out" -n "pkg scan B, JDK 25 AOT" "$pkg_c")
fi
scan() { echo "java $base_opts -XX:SharedArchiveFile=$1/bench-cds.jsa -jar $1/neguard-cli.jar pkg scan $bundle --engine $unix_spec --out $out"; }
pkg_a="$(scan "$a_dir")"
pkg_b="$(scan "$b_dir")"
multi="clamdscan --config-file=$conf --stream -m --no-summary --quiet $tree"
serial="clamdscan --config-file=$conf --stream --no-summary --quiet $tree"
rm -f "$out"; $pkg_a >/dev/null; rm -f "$out"; $pkg_b >/dev/null   # exit 3 unless every file is clean
$multi
uptime
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$work/hyperfine.json" \
  --prepare "rm -f $out" --prepare "rm -f $out" --prepare true --prepare true \
  -n "pkg scan A" "$pkg_a" -n "pkg scan B" "$pkg_b" \
  -n "clamdscan --stream -m" "$multi" -n "clamdscan --stream" "$serial" "${c_cmd[@]}"
python3 - "$work/hyperfine.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
for ours in ("pkg scan A", "pkg scan B"):
    for ref in ("clamdscan --stream -m", "clamdscan --stream"):
        print(f"hyperfine medians: {ours} / {ref} = {r[ours] / r[ref]:.2f}x")
print(f"hyperfine medians: B / A = {r['pkg scan B'] / r['pkg scan A']:.2f}x")
PY
uptime
python3 - "${ROUNDS:-6}" "$clamd_pid" "$out" "pkg scan A=$pkg_a" "pkg scan B=$pkg_b" \
  ${pkg_c:+"pkg scan B, JDK 25 AOT=$pkg_c"} \
  "clamdscan --stream=$serial" "clamdscan --stream -m=$multi" <<'PY'
import os, resource, statistics, subprocess, sys, time
rounds, pid, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = [a.split("=", 1) for a in sys.argv[4:]]
tick = os.sysconf("SC_CLK_TCK")
def clamd_cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
wall = {n: [] for n, _ in cmds}; cpu = {n: [] for n, _ in cmds}; dcpu = {n: [] for n, _ in cmds}
for i in range(rounds):
    for n, c in cmds[i % len(cmds):] + cmds[:i % len(cmds)]:
        if os.path.exists(out):
            os.remove(out)                       # not timed
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN); d0 = clamd_cpu(); t0 = time.perf_counter()
        subprocess.run(c, shell=True, check=True, stdout=subprocess.DEVNULL)
        wall[n].append(time.perf_counter() - t0); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[n].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime); dcpu[n].append(clamd_cpu() - d0)
print(f"interleaved, {rounds} rounds (medians), load {os.getloadavg()}")
ref = "clamdscan --stream -m"
for n, _ in cmds:
    per_round = statistics.median(a / b for a, b in zip(wall[n], wall[ref]))
    print(f"{n:22} wall {statistics.median(wall[n]):6.2f} s  client cpu {statistics.median(cpu[n]):5.2f} s"
          f"  clamd cpu {statistics.median(dcpu[n]):5.2f} s  per-round / -m {per_round:.2f}x")
ab = statistics.median(a / b for a, b in zip(wall["pkg scan B"], wall["pkg scan A"]))
print(f"B / A per round: {ab:.2f}x")
PY
