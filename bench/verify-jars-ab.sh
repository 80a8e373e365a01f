#!/usr/bin/env bash
# A/B of 'pkg verify' between builds, without the launcher's 'mvn install': each build is a
# directory holding neguard-cli.jar and its lib/ (copy them from neguard-cli/target after
# 'mvn -o -q package -pl neguard-cli -am -DskipTests'). Runs the 1 GiB bench bundle
# (bench/bench-bundle.sh) with the launcher's JVM options (serial GC, class-data archive trained
# as the launcher trains it, the compiler directives), in interleaved rounds, each round ending
# with 'openssl dgst -sha256' over the payload; prints medians of wall time, CPU (user + sys)
# and peak RSS (GNU time), and the throughput ratios against openssl (docs/BENCHMARKS.md).
#   bench/verify-jars-ab.sh WORKDIR BUILD_DIR...    # ROUNDS=6; NOCDS=1 for no class-data archive
# JAVA_HOME picks the JDK. The first use of a build trains its archive (minutes): untimed.
# AOT=1 (JDK 25 or newer): an AOT cache instead, trained as the launcher trains it (a 'pkg verify'
# of the quickstart's signed sample, with the options verify runs with).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: bench/verify-jars-ab.sh WORKDIR BUILD_DIR..." >&2; exit 2; }
work="$(mkdir -p "$1" && cd "$1" && pwd)"; shift
for tool in /usr/bin/time openssl python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool: apt-get install time openssl" >&2; exit 1; }
done
java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"
directives="$root/neguard-cli/src/main/jvm/compiler-directives.json"

# run BUILD ARGS...: the CLI of BUILD with the launcher's options (./neguard).
run() {
  local dir="$1"; shift
  local opts=(-XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr)
  local jdk; jdk="$(basename "$(readlink -f "$(command -v "$java_cmd")" | sed 's#/bin/java$##')")"
  local cds="$dir/neguard-cds-$jdk.jsa" aot="$dir/neguard-$jdk.aot"
  local jit=(-XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -XX:CompilerDirectivesFile="$directives")
  if [ -n "${AOT:-}" ]; then
    if [ ! -f "$aot" ]; then
      local t; t="$(mktemp -d)"
      "$java_cmd" "${opts[@]}" -jar "$dir/neguard-cli.jar" quickstart --dir "$t/qs" >/dev/null 2>&1 || true
      "$java_cmd" "${opts[@]}" "${jit[@]}" -XX:AOTCacheOutput="$aot" -jar "$dir/neguard-cli.jar" \
        pkg verify "$t/qs/sample-mme-1.0.0.ngp" --trust "$t/qs/pki/ca.pem" >/dev/null 2>&1 || rm -f "$aot"
      rm -rf "$t"
      [ -f "$aot" ] || { echo "no AOT cache for $dir: its training failed" >&2; return 1; }
    fi
    opts+=(-XX:AOTCache="$aot")
  elif [ -z "${NOCDS:-}" ]; then
    if [ ! -f "$cds" ]; then
      local t; t="$(mktemp -d)"
      "$java_cmd" "${opts[@]}" -XX:ArchiveClassesAtExit="$cds" -jar "$dir/neguard-cli.jar" \
        quickstart --dir "$t/qs" >/dev/null 2>&1 || rm -f "$cds"
      rm -rf "$t"
    fi
    if [ -f "$cds" ]; then opts+=(-XX:SharedArchiveFile="$cds"); fi
  fi
  "$java_cmd" "${opts[@]}" "${jit[@]}" -jar "$dir/neguard-cli.jar" "$@"
}

builds=()
for b in "$@"; do builds+=("$(cd "$b" && pwd)"); done
neguard=(run "${builds[0]}")
# shellcheck source=bench/bench-bundle.sh
source "$root/bench/bench-bundle.sh"
cd "$work"
for b in "${builds[@]}"; do run "$b" pkg verify bench.ngp --trust pki/ca.pem >/dev/null; done
cat bench.ngp >/dev/null
echo "cpu: $(nproc) cores; $("$java_cmd" -version 2>&1 | head -1); $(openssl version)"
echo "load before: $(uptime)"
raw="$(mktemp)"
export -f run
export java_cmd directives
for _ in $(seq "${ROUNDS:-6}"); do
  for b in "${builds[@]}"; do
    /usr/bin/time -a -o "$raw" -f "$(basename "$b") %e %U %S %M" \
      bash -c 'run "$0" pkg verify bench.ngp --trust pki/ca.pem >/dev/null' "$b"
  done
  /usr/bin/time -a -o "$raw" -f "openssl %e %U %S %M" \
    sh -c 'find payload -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null'
done
echo "load after: $(uptime)"
python3 - "$raw" <<'PY'
import sys, statistics as st, collections
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 5 and p[1][0].isdigit():
        d[p[0]].append(tuple(map(float, p[1:])))
o = d["openssl"]
ow, oc = st.median(x[0] for x in o), st.median(x[1] + x[2] for x in o)
for k, v in d.items():
    w, c = st.median(x[0] for x in v), st.median(x[1] + x[2] for x in v)
    rss = st.median(x[3] for x in v) / 1024
    ratio = "" if k == "openssl" else f"  throughput / openssl: {ow / w:.2f}x wall, {oc / c:.2f}x CPU"
    print(f"{k:10s} n={len(v)}  wall {w:.2f} s  CPU {c:.2f} s  peak RSS {rss:.0f} MB{ratio}")
PY
rm -f "$raw"
