#!/usr/bin/env bash
# Benchmark (issue 14): the NE agent idle. A real server on loopback (bench/agent-fleet.sh), one
# real agent (`neguard agent --config`, through the launcher, so with the launcher's footprint
# JVM options for the agent, docs/AGENT.md "Footprint") enrolled and polling every 5 s, no order,
# for MINUTES minutes. Reported for the agent's JVM: RSS (VmRSS from /proc/PID/status sampled
# every second: the maximum and the steady value, the median of the last minute; VmHWM, the
# kernel's peak) and CPU time per minute (utime+stime from /proc/PID/stat over the idle window).
# Target: RSS <= 64 MiB. References in the same run: the same agent with the JVM's defaults
# (variant "default": NEGUARD_AGENT_OPTS set empty, no footprint options; the launcher's other
# options stay), and with the footprint options plus C1 only (variant "c1": what giving up C2
# for the digest loops would save; hashing then runs at a tenth of the speed), and with Bouncy Castle's jars signed as
# published (variant "signed-bc"; lib/ holds them without their signature).
# RssAnon (heap, metaspace, code, stacks, malloc) and RssFile (libjvm and the other mapped
# files, shared with any other JVM on the box) are given apart.
# Usage: bench/agent-idle.sh [WORKDIR]   (default: bench/work)
# MINUTES (idle minutes per variant, default 2), POLL (default 5s),
# VARIANTS (default "footprint default"), NEGUARD may name the command (default: ./neguard).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}/agent-idle"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
minutes="${MINUTES:-2}"
poll="${POLL:-5s}"
variants="${VARIANTS:-footprint signed-bc default c1}"
rm -rf "$work"
mkdir -p "$work"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "memory $(free -m | awk '/^Mem:/ { print $2 }') MiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
# shellcheck source=bench/agent-fleet.sh
. "$root/bench/agent-fleet.sh"

results="$work/results.txt"
: >"$results"
for v in $variants; do
  id="idle-$v"
  ne_config "$id" "$poll"
  options="$root/neguard-cli/src/main/resources/org/neguard/cli/agent/jvm.options"
  case "$v" in
    default) NEGUARD_AGENT_OPTS="" agent_start "$id" ;;
    c1) NEGUARD_AGENT_OPTS="$(grep -v '^#' "$options") -XX:TieredStopAtLevel=1" agent_start "$id" ;;
    # glibc keeps freed native memory in per-thread arenas: fewer arenas, and the JVM trimming
    # the C heap every few seconds (JDK 17.0.9+), give some of it back.
    arena) MALLOC_ARENA_MAX=2 agent_start "$id" ;;
    trim) NEGUARD_AGENT_OPTS="$(grep -v '^#' "$options") -XX:TrimNativeHeapInterval=5000" \
      agent_start "$id" ;;
    trimarena) MALLOC_ARENA_MAX=2 NEGUARD_AGENT_OPTS="$(grep -v '^#' "$options")\
 -XX:TrimNativeHeapInterval=5000" agent_start "$id" ;;
    # Bouncy Castle's jars as published, signed (lib/ holds them without the signature,
    # neguard-cli/pom.xml): the same launcher options, the agent's jar from a copy of lib/.
    signed-bc)
      rm -rf "$work/lib-signed" && cp -r "$root/neguard-cli/target/lib" "$work/lib-signed"
      cp "$root"/neguard-cli/target/bouncy-castle-signed/*.jar "$work/lib-signed/"
      # shellcheck disable=SC2046
      java -XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr \
        -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput \
        -XX:CompilerDirectivesFile="$root/neguard-cli/src/main/jvm/compiler-directives.json" \
        $(grep -v '^[[:space:]]*#' "$options") \
        -jar "$(ls "$work"/lib-signed/neguard-agent-*.jar | head -1)" \
        "$work/$id/agent.properties" >"$work/$id/agent.log" 2>&1 &
      agent_pid=$!
      ;;
    *) agent_start "$id" ;;
  esac
  await_event "$id" enrolled 120
  await_event "$id" poll 60
  sleep 5 # the first polls' class loading and compilation are behind us
  echo "== $v: agent pid $agent_pid, JVM options:" \
    "$(tr '\0' ' ' <"/proc/$agent_pid/cmdline" | sed 's/ -jar .*//; s/^[^ ]* //')"
  cpu0=$(cpu_seconds "$agent_pid")
  t0=$(date +%s.%N)
  samples="$work/$id.rss"
  : >"$samples"
  end=$((SECONDS + minutes * 60))
  while [ "$SECONDS" -lt "$end" ]; do
    status_kib "$agent_pid" VmRSS >>"$samples"
    sleep 1
  done
  cpu1=$(cpu_seconds "$agent_pid")
  t1=$(date +%s.%N)
  hwm=$(status_kib "$agent_pid" VmHWM)
  anon=$(status_kib "$agent_pid" RssAnon)
  file=$(status_kib "$agent_pid" RssFile)
  polls=$(grep -c '"event":"poll"' "$work/$id/agent.log" || true)
  errors=$(grep -c '"event":"poll_error"' "$work/$id/agent.log" || true)
  python3 - "$v" "$samples" "$cpu0" "$cpu1" "$t0" "$t1" "$hwm" "$polls" "$errors" "$anon" "$file" \
    >>"$results" <<'PY'
import statistics, sys
v, f, c0, c1, t0, t1, hwm, polls, errors, anon, rfile = sys.argv[1:]
rss = [int(l) for l in open(f) if l.strip()]
last = rss[-60:]
minutes = (float(t1) - float(t0)) / 60
cpu = (float(c1) - float(c0)) / minutes
mib = lambda k: k / 1024
print(f"| {v} | {mib(max(rss)):.1f} MiB | {mib(statistics.median(last)):.1f} MiB |"
      f" {mib(int(hwm)):.1f} MiB | {mib(int(anon)):.1f} / {mib(int(rfile)):.1f} MiB |"
      f" {cpu * 1000:.0f} ms | {polls} / {errors} |"
      f" {'met' if max(rss) <= 64 * 1024 else 'NOT met'} |")
PY
  tail -1 "$results"
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
  agent_pid=""
done

echo
echo "idle $minutes min per variant, polling every $poll:"
echo "| variant | RSS max | RSS steady (median, last minute) | VmHWM | RssAnon / RssFile at the end | CPU per minute | polls / errors (whole log) | RSS <= 64 MiB |"
echo "|---|---|---|---|---|---|---|---|"
cat "$results"
