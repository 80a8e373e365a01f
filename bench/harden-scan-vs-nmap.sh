#!/usr/bin/env bash
# Benchmark: a full TCP sweep (1-65535) by 'neguard harden scan' against 'nmap -sT -p- -n -Pn' of
# the same host, in the same run (docs/BENCHMARKS.md, issues 5 and 17), on two hosts in private
# network namespaces:
#   socat    14 socat listeners spread over the range;
#   daemons  the real daemons of the scanner's daemon test (inetd with its services, tftpd, snmpd,
#            ftpd, smbd, rpcbind with NFS-Ganesha, an SSH-like listener, one TCP and one UDP port
#            dropped by nftables), started by the test's own helper (DaemonsHost).
# Both tools must find the same open ports; then RUNS interleaved rounds are timed (each round
# runs every command once), and each run is set against nmap's run of the same round. Needs root
# (network namespaces), iproute2, socat, nmap and, for the daemons host, the daemon test's
# programs (.ci/run installs them):
#   apt-get install iproute2 socat nmap
# Usage: bench/harden-scan-vs-nmap.sh [RUNS]   (default 10)
# Environment: HOSTS="socat daemons" (default both); SKIP_BUILD=1 times the jars and test classes
#   already built; BASE=DIR, a directory holding another
#   build's neguard-cli.jar and lib/ (e.g. main's), timed as a third command in the same run.
# The daemons host's rpcbind takes the host's /run/rpcbind.lock: not while HardenScanDaemonsTest
# runs on the same machine. Every namespace, veth pair and process started here is removed on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
hosts="${HOSTS:-socat daemons}"

for tool in ip socat nmap java mvn python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool: apt-get install iproute2 socat nmap" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }

work="$(mktemp -d)"
ns=""; host_if=""; pids=(); daemons_pid=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$ns" ]; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$host_if" 2>/dev/null || true
  fi
  ns=""; pids=()
  if [ -n "$daemons_pid" ]; then
    # Closing its input makes the helper stop its daemons and delete its namespace.
    exec 7>&- 2>/dev/null || true
    wait "$daemons_pid" 2>/dev/null || true
    daemons_pid=""
  fi
}
trap 'cleanup; rm -rf "$work"' EXIT

# The socat host: a namespace joined by a veth pair on a free 10.231.N.0/29 (namespace .2).
start_socat_host() {
  local used net n tag
  used="$(ip -4 addr show; ip -4 route show)"
  net=""
  for n in $(seq 200 254); do
    if ! grep -q "10\.231\.$n\." <<<"$used"; then net=$n; break; fi
  done
  [ -n "$net" ] || { echo "no free 10.231.N.0/29" >&2; exit 1; }
  tag="$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | tail -c 6)"
  ns="ngb-$tag"; host_if="ngbh$tag"
  local ns_if="ngbn$tag"
  target="10.231.$net.2"
  ip netns add "$ns"
  ip link add "$host_if" type veth peer name "$ns_if"
  ip link set "$ns_if" netns "$ns"
  ip addr add "10.231.$net.1/29" dev "$host_if"
  ip link set "$host_if" up
  ip netns exec "$ns" ip addr add "$target/29" dev "$ns_if"
  ip netns exec "$ns" ip link set "$ns_if" up
  ip netns exec "$ns" ip link set lo up
  # Listeners spread over the range, low and high ports (an NE's usual few plus ephemeral ones).
  local p
  for p in 21 22 23 80 111 443 445 2049 8080 9090 30000 36412 50000 65535; do
    ip netns exec "$ns" setsid socat "TCP-LISTEN:$p,bind=$target,reuseaddr,fork" SYSTEM:"echo hello" 2>/dev/null &
    pids+=($!)
  done
  sleep 1
}

# The daemons host: the daemon test's helper, run from the test classes; it prints the address
# and keeps the host until its standard input (fd 7 here) closes.
start_daemons_host() {
  local fifo="$work/daemons.in" out="$work/daemons.out" line
  mkfifo "$fifo"
  java -cp "$helper_cp" org.neguard.testing.DaemonsHost <"$fifo" >"$out" 2>"$work/daemons.err" &
  daemons_pid=$!
  exec 7>"$fifo"
  for _ in $(seq 1 600); do
    if grep -q '^ready$' "$out" 2>/dev/null; then break; fi
    if ! kill -0 "$daemons_pid" 2>/dev/null; then cat "$work/daemons.err" >&2; exit 1; fi
    sleep 0.1
  done
  grep -q '^ready$' "$out" || { echo "the daemons host did not start" >&2; cat "$work/daemons.err" >&2; exit 1; }
  target="$(sed -n 's/^address=//p' "$out")"
}

mkdir -p "$root/bench/work"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building the CLI (package, no install) and the test helper..." >&2
  (cd "$root" && mvn -B -q -o package -DskipTests -pl neguard-cli -am >/dev/null)
fi
case " $hosts " in
  *" daemons "*)
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
      (cd "$root" && mvn -B -q -o test-compile -pl neguard-harden -am >/dev/null)
    fi
    (cd "$root" && mvn -B -q -o dependency:build-classpath -pl neguard-harden -Dmdep.includeScope=test \
        -Dmdep.outputFile="$work/harden-test.cp" >/dev/null)
    # This checkout's classes first, ahead of any installed copies of its modules.
    helper_cp="$root/neguard-harden/target/test-classes"
    for m in "$root"/neguard-*/target/classes; do helper_cp="$helper_cp:$m"; done
    helper_cp="$helper_cp:$(cat "$work/harden-test.cp")"
    ;;
esac

cp="$root/neguard-cli/target/neguard-cli.jar:$root/neguard-cli/target/lib/*"
# The launcher's JVM options for 'harden' (./neguard: C1 only, no stack traces in exceptions, no
# JVM event log), without its build step; like the launcher, a class-data-sharing archive, trained
# once here on a loopback scan. JVM_OPTS replaces the options after -Xlog; BASE_JVM_OPTS those of
# the BASE build, by default the same (main's launcher has had them since issue 17; before, it had
# -XX:TieredStopAtLevel=1 alone: give that for an older build).
jvm_common=(java -XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr)
launcher_opts="-XX:TieredStopAtLevel=1 -XX:-StackTraceInThrowable -XX:+UnlockDiagnosticVMOptions -XX:-LogEvents"
# shellcheck disable=SC2206
jvm=("${jvm_common[@]}" ${JVM_OPTS:-$launcher_opts})
train=(harden scan --target 127.0.0.1 --ports 1-1024 --udp-top 0 --sctp-ports none --no-identify --json)
"${jvm[@]}" -XX:ArchiveClassesAtExit="$work/scan.jsa" -cp "$cp" org.neguard.cli.Main "${train[@]}" >/dev/null 2>&1
neguard=("${jvm[@]}" -XX:SharedArchiveFile="$work/scan.jsa" -cp "$cp" org.neguard.cli.Main)
base=()
if [ -n "${BASE:-}" ]; then
  bcp="$BASE/neguard-cli.jar:$BASE/lib/*"
  # shellcheck disable=SC2206
  bjvm=("${jvm_common[@]}" ${BASE_JVM_OPTS:-$launcher_opts})
  "${bjvm[@]}" -XX:ArchiveClassesAtExit="$work/base.jsa" -cp "$bcp" org.neguard.cli.Main "${train[@]}" >/dev/null 2>&1
  base=("${bjvm[@]}" -XX:SharedArchiveFile="$work/base.jsa" -cp "$bcp" org.neguard.cli.Main)
fi

for host in $hosts; do
  case "$host" in
    socat) start_socat_host ;;
    daemons) start_daemons_host ;;
    *) echo "unknown host $host (socat, daemons)" >&2; exit 1 ;;
  esac
  scan_args=(harden scan --target "$target" --ports 1-65535 --udp-top 0 --sctp-ports none --no-identify)
  # Same open ports?
  open_of() {
    "$@" "${scan_args[@]}" --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(str(p["port"]) for p in o["ports"] if p["transport"] == "TCP" and p["state"] == "OPEN"))'
  }
  nmap_open="$(nmap -sT -p- -n -Pn -oG - "$target" | grep -o '[0-9]*/open/tcp' | cut -d/ -f1 | sort -n | tr '\n' ' ' | sed 's/ $//')"
  neguard_open="$(open_of "${neguard[@]}")"
  echo "$host host $target"
  echo "  nmap:    $nmap_open"
  echo "  neguard: $neguard_open"
  [ -n "$nmap_open" ] && [ "$nmap_open" = "$neguard_open" ] || { echo "open port sets differ: no timing" >&2; exit 1; }
  if [ ${#base[@]} -gt 0 ]; then
    base_open="$(open_of "${base[@]}")"
    echo "  base:    $base_open"
    [ "$base_open" = "$nmap_open" ] || { echo "the base build finds other ports: no timing" >&2; exit 1; }
  fi
  echo "  load before: $(uptime)"
  # Interleaved rounds (each round runs every command once, the order alternating), so that the
  # other load on a shared machine falls on all of them alike; 2 warm-up rounds are not counted.
  names=("nmap -sT -p- -n -Pn" "neguard harden scan")
  cmds=("nmap -sT -p- -n -Pn $target" "${neguard[*]} ${scan_args[*]}")
  if [ ${#base[@]} -gt 0 ]; then
    names+=("base: neguard harden scan"); cmds+=("${base[*]} ${scan_args[*]}")
  fi
  times="$root/bench/work/harden-scan-vs-nmap-$host.tsv"
  : >"$times"
  for round in $(seq -2 "$runs"); do
    order=($(seq 0 $((${#cmds[@]} - 1))))
    if [ $((round % 2)) != 0 ]; then order=($(printf '%s\n' "${order[@]}" | tac)); fi
    for i in "${order[@]}"; do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      command time -f '%U %S' -o "$work/cpu" ${cmds[$i]} >/dev/null 2>&1
      t1=$(date +%s%N)
      if [ "$round" -gt 0 ]; then
        printf '%s\t%s\t%s\t%s\n' "$round" "$i" "$(( (t1 - t0) / 1000 ))" "$(tr ' ' '\t' <"$work/cpu")" >>"$times"
      fi
    done
  done
  echo "  load after: $(uptime)"
  python3 - "$times" "${names[@]}" <<'PY'
import sys, statistics
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
names = sys.argv[2:]
t, cpu = {}, {}
for rnd, i, us, user, system in rows:
    t.setdefault(int(i), {})[int(rnd)] = int(us) / 1e6
    cpu.setdefault(int(i), []).append((float(user), float(system)))
ref = t[0]
def line(i):
    u = statistics.mean(c[0] for c in cpu[i])
    s = statistics.mean(c[1] for c in cpu[i])
    return (f'  {names[i]:28s} wall mean {statistics.mean(t[i].values()):.3f} s, sd {statistics.pstdev(t[i].values()):.3f};'
            f' CPU user {u:.2f} + sys {s:.2f} s')
print(line(0))
for i in range(1, len(names)):
    x = t[i]
    ratios = sorted(x[r] / ref[r] for r in x)  # each run against nmap's run of the same round
    print(line(i) + f'; / nmap: ratio of means {statistics.mean(x.values()) / statistics.mean(ref.values()):.2f}x,'
          f' per round min {ratios[0]:.2f} median {statistics.median(ratios):.2f} max {ratios[-1]:.2f}')
PY
  cleanup
done
