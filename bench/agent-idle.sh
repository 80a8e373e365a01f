#!/usr/bin/env bash
# Benchmark (issue 14): the NE agent idle. A real server on loopback (bench/agent-fleet.sh), one
# real agent (`neguard agent --config`, through the launcher, so with the launcher's footprint
# JVM options for the agent, docs/AGENT.md "Footprint") enrolled and polling every 5 s, no order,
# for MINUTES minutes. Reported for the agent's JVM: RSS (VmRSS from /proc/PID/status sampled
# every second: the maximum and the steady value, the median of the last minute; VmHWM, the
# kernel's peak) and CPU time per minute (utime+stime from /proc/PID/stat over the idle window).
# Target: RSS <= 64 MiB. References in the same run: the same agent with the JVM's defaults
# (variant "default": NEGUARD_AGENT_OPTS set empty, no footprint options; the launcher's other
# options stay), with the memory options plus C1 only (variant "c1": hashing then runs at a
# tenth of the speed), with the JVM's young generation instead of -Xmn2m (variant "young"), and
# with Bouncy Castle's jars signed as published (variant "signed-bc"; lib/ holds them without
# their signature). Variant "thresh": -XX:CompileThresholdScaling=10; "c2only":
# C2 only with the launcher's directives (C2 for the digest and cipher classes only); "nothresh":
# the footprint options without -XX:CompileThresholdScaling=10 (adopted 2026-12-06); "c2all",
# "c2broad": C2 only for every method, or for the JDK's, the agent's and Jackson's streaming
# classes; "noreloc": the archive mapped where it was dumped (ArchiveRelocationMode=0).
# Since 2026-12-05 "footprint" includes the agent's own class-data archive, which the launcher
# dumps from neguard-cli/src/main/jvm/agent.classlist, and native-heap trimming, which it adds
# unless NEGUARD_AGENT_OPTS is set (docs/AGENT.md "Footprint"); variant "nocds" is without
# either (the JDK's default archive; the footprint of 2026-12-04), and so is "signed-bc". Variants tried for issue 14 (see
# the case below and docs/BENCHMARKS.md): appcds, dyncds (archives from this run's training
# agent, static and dynamic), jlink and jlink-appcds (a runtime of the agent's modules,
# neguard-agent/src/main/jvm/modules), meta and small (more JVM options), trim, arena, trimarena.
# RssAnon (heap, metaspace, code, stacks, malloc) and RssFile (libjvm and the other mapped
# files, shared with any other JVM on the box) are given apart.
# Usage: bench/agent-idle.sh [WORKDIR]   (default: bench/work)
# NMT=1: each agent with native memory tracking, its summary in WORKDIR/agent-idle/VARIANT.nmt.
# MINUTES (idle minutes per variant, default 2), POLL (default 5s),
# VARIANTS (default "footprint young nocds signed-bc default c1"), NEGUARD may name the command (default:
# ./neguard).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}/agent-idle"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
minutes="${MINUTES:-2}"
poll="${POLL:-5s}"
variants="${VARIANTS:-footprint young nocds signed-bc default c1}"
[ "${NMT:-0}" = 1 ] && export NEGUARD_JAVA_OPTS="${NEGUARD_JAVA_OPTS:-} -XX:NativeMemoryTracking=summary"
rm -rf "$work"
mkdir -p "$work"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "memory $(free -m | awk '/^Mem:/ { print $2 }') MiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
# shellcheck source=bench/agent-fleet.sh
. "$root/bench/agent-fleet.sh"

options="$root/neguard-cli/src/main/resources/org/neguard/cli/agent/jvm.options"
opts() { grep -v '^[[:space:]]*#' "$options" | tr '\n' ' '; }
# Without the compiler threads' count, for the variants that choose their own compilers; the
# launcher adds its compiler directives (C2 for the digest and cipher classes only) to each.
mem_opts() { opts | sed 's/-XX:CICompilerCount=2//'; }
agent_jar="$(ls "$root"/neguard-cli/target/lib/neguard-agent-*.jar | head -1)"

# Class-data-sharing archives of the agent's own classes (variants appcds, dyncds, jlink-appcds):
# a training agent enrolls, polls, idles TRAIN_SECONDS (default 70: past the first scheduled
# inventory, 60 s) and is stopped; its JVM lists the classes it loaded
# (-XX:DumpLoadedClassList) and writes a dynamic archive of them at exit (-XX:ArchiveClassesAtExit,
# on top of the JDK's default archive); a static archive is dumped from the list (-Xshare:dump:
# the agent's JDK and application classes only, instead of the JDK's default archive).
case " $variants " in *" appcds "* | *" dyncds "* | *" jlink-appcds "*)
  ne_config idle-train "$poll"
  NEGUARD_AGENT_OPTS="$(opts) -XX:DumpLoadedClassList=$work/agent.classlist \
-XX:ArchiveClassesAtExit=$work/agent-dynamic.jsa" agent_start idle-train
  await_event idle-train enrolled 120
  await_event idle-train poll 60
  sleep "${TRAIN_SECONDS:-70}"
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
  agent_pid=""
  echo "training: $(grep -vc '^#' "$work/agent.classlist") classes listed," \
    "dynamic archive $(du -k "$work/agent-dynamic.jsa" | cut -f1) KiB"
  java -Xshare:dump -XX:SharedClassListFile="$work/agent.classlist" \
    -XX:SharedArchiveFile="$work/agent-static.jsa" -cp "$agent_jar" >"$work/static-dump.log" 2>&1
  echo "static archive $(du -k "$work/agent-static.jsa" | cut -f1) KiB"
  ;;
esac
# A runtime of only the modules the agent needs (jdeps on its jar and its dependencies, plus the
# EC provider TLS needs and jdk.unsupported), with its own default CDS archive (variants jlink,
# jlink-appcds).
case " $variants " in *" jlink"*)
  jlink --add-modules "$(cat "$root/neguard-agent/src/main/jvm/modules")" --strip-debug \
    --no-header-files --no-man-pages --generate-cds-archive --output "$work/runtime" >/dev/null
  echo "runtime: $(du -sh "$work/runtime" | cut -f1), modules $(cat "$root/neguard-agent/src/main/jvm/modules")"
  ;;
esac
case " $variants " in *" jlink-appcds "*)
  "$work/runtime/bin/java" -Xshare:dump -XX:SharedClassListFile="$work/agent.classlist" \
    -XX:SharedArchiveFile="$work/agent-runtime.jsa" -cp "$agent_jar" >"$work/runtime-dump.log" 2>&1
  ;;
esac

# The launcher's archive for the agent, made now rather than inside the first variant's wait for
# enrollment (a dump takes minutes on a loaded machine): a start with no configuration, exit 2.
"${neguard[@]}" agent --config "$work/no-config" >/dev/null 2>&1 || true

results="$work/results.txt"
: >"$results"
for v in $variants; do
  id="idle-$v"
  ne_config "$id" "$poll"
  case "$v" in
    default) NEGUARD_AGENT_CDS=0 NEGUARD_AGENT_OPTS="" agent_start "$id" ;;
    # The footprint options with the JDK's default archive, not the agent's own (the launcher's
    # default before 2026-12-05).
    nocds) NEGUARD_AGENT_CDS=0 NEGUARD_AGENT_OPTS="$(opts)" agent_start "$id" ;;
    # C1 only (trimming as the launcher adds it): the digest loops then lose C2's SHA intrinsic.
    c1) NEGUARD_AGENT_OPTS="$(mem_opts) -XX:TieredStopAtLevel=1 -XX:TrimNativeHeapInterval=5000" \
      agent_start "$id" ;;
    # The JVM's young generation (a third of the heap) instead of -Xmn2m.
    young) NEGUARD_AGENT_OPTS="$(opts | sed 's/ -Xmn2m//') -XX:TrimNativeHeapInterval=5000" \
      agent_start "$id" ;;
    # C2 only with the launcher's directives (C2 for the digest and cipher classes, everything
    # else interpreted): the install's verification fell to 0.36x openssl (docs/BENCHMARKS.md).
    c2only) NEGUARD_AGENT_OPTS="$(mem_opts) -XX:-TieredCompilation -XX:CICompilerCount=1 \
-XX:TrimNativeHeapInterval=5000" agent_start "$id" ;;
    # Every compile threshold ten times the default (in the footprint options since 2026-12-06:
    # then the same as "footprint"), and the JVM's own thresholds ("nothresh": the options of
    # before).
    thresh) NEGUARD_AGENT_OPTS="$(opts | sed 's/-XX:CompileThresholdScaling=[0-9.]*//') \
-XX:CompileThresholdScaling=10 -XX:TrimNativeHeapInterval=5000" agent_start "$id" ;;
    nothresh) NEGUARD_AGENT_OPTS="$(opts | sed 's/-XX:CompileThresholdScaling=[0-9.]*//') \
-XX:TrimNativeHeapInterval=5000" agent_start "$id" ;;
    # C2 only for every method, and C2 only for the JDK, the agent's and Jackson's streaming
    # classes (not Bouncy Castle, Nimbus JOSE, Jackson's data binding), without the directives.
    c2all | c2broad)
      only=""
      [ "$v" = c2broad ] && for c in java sun jdk/internal com/sun/crypto/provider org/neguard \
          com/fasterxml/jackson/core; do only="$only -XX:CompileCommand=compileonly,$c/*.*"; done
      NEGUARD_JIT=default NEGUARD_AGENT_OPTS="$(mem_opts) -XX:-TieredCompilation \
-XX:CICompilerCount=1 -XX:CompileCommand=quiet $only -XX:TrimNativeHeapInterval=5000" \
        agent_start "$id" ;;
    # The archive mapped where it was dumped instead of at a random address (the JDK's default
    # since 17.0.x, ArchiveRelocationMode=1, patches every pointer in it: all its pages dirty).
    noreloc) NEGUARD_AGENT_OPTS="$(opts) -XX:TrimNativeHeapInterval=5000 \
-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0" agent_start "$id" ;;
    appcds) NEGUARD_AGENT_OPTS="$(opts) -XX:SharedArchiveFile=$work/agent-static.jsa" agent_start "$id" ;;
    dyncds) NEGUARD_AGENT_OPTS="$(opts) -XX:SharedArchiveFile=$work/agent-dynamic.jsa" agent_start "$id" ;;
    jlink) JAVA_HOME="$work/runtime" agent_start "$id" ;;
    jlink-appcds) JAVA_HOME="$work/runtime" \
      NEGUARD_AGENT_OPTS="$(opts) -XX:SharedArchiveFile=$work/agent-runtime.jsa" agent_start "$id" ;;
    # More of the JVM's own knobs: metaspace returned to the OS in small granules; a smaller
    # code cache and no C2 compiler thread kept waiting (one compiler thread each).
    meta) NEGUARD_AGENT_OPTS="$(opts) -XX:MetaspaceReclaimPolicy=aggressive" agent_start "$id" ;;
    small) NEGUARD_AGENT_OPTS="$(opts) -XX:MetaspaceReclaimPolicy=aggressive -Xss200k \
-XX:ReservedCodeCacheSize=8m -XX:InitialCodeCacheSize=1m -XX:MaxMetaspaceSize=40m" agent_start "$id" ;;
    # glibc keeps freed native memory in per-thread arenas: fewer arenas, and the JVM trimming
    # the C heap every few seconds (JDK 17.0.9+), give some of it back.
    arena) MALLOC_ARENA_MAX=2 agent_start "$id" ;;
    trim) NEGUARD_AGENT_OPTS="$(opts) -XX:TrimNativeHeapInterval=5000" agent_start "$id" ;;
    trimarena) MALLOC_ARENA_MAX=2 NEGUARD_AGENT_OPTS="$(opts) -XX:TrimNativeHeapInterval=5000" \
      agent_start "$id" ;;
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
  # NMT=1 (a diagnosis, not a measurement: tracking costs memory itself): every variant's agent
  # runs with -XX:NativeMemoryTracking=summary and its summary goes to $work/VARIANT.nmt.
  [ "${NMT:-0}" = 1 ] && jcmd "$agent_pid" VM.native_memory summary >"$work/$v.nmt" 2>&1
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
