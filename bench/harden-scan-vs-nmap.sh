#!/usr/bin/env bash
# Benchmark: a full TCP sweep (1-65535) of a host in a private network namespace by
# 'neguard harden scan' against 'nmap -sT -p- -n -Pn' of the same host, in the same run
# (docs/BENCHMARKS.md, issue 5). Both must find the same open ports.
# Needs root (it creates a network namespace), iproute2, socat, nmap and hyperfine:
#   apt-get install iproute2 socat nmap hyperfine
# Usage: bench/harden-scan-vs-nmap.sh [RUNS]   (default 10)
# The namespace, its veth pair and every listener it starts are removed on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"

for tool in ip socat nmap hyperfine java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool: apt-get install iproute2 socat nmap hyperfine" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 1; }

# A free 10.231.N.0/29 (this side .1, namespace .2).
used="$(ip -4 addr show; ip -4 route show)"
net=""
for n in $(seq 200 254); do
  if ! grep -q "10\.231\.$n\." <<<"$used"; then net=$n; break; fi
done
[ -n "$net" ] || { echo "no free 10.231.N.0/29" >&2; exit 1; }
tag="$(printf '%06x' $((RANDOM * 32768 + RANDOM)) | tail -c 6)"
ns="ngb-$tag"; host_if="ngbh$tag"; ns_if="ngbn$tag"
target="10.231.$net.2"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns"
ip link add "$host_if" type veth peer name "$ns_if"
ip link set "$ns_if" netns "$ns"
ip addr add "10.231.$net.1/29" dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip addr add "$target/29" dev "$ns_if"
ip netns exec "$ns" ip link set "$ns_if" up
ip netns exec "$ns" ip link set lo up

# Listeners spread over the range, low and high ports (an NE's usual few plus ephemeral ones).
open_ports=(21 22 23 80 111 443 445 2049 8080 9090 30000 36412 50000 65535)
for p in "${open_ports[@]}"; do
  ip netns exec "$ns" setsid socat "TCP-LISTEN:$p,bind=$target,reuseaddr,fork" SYSTEM:"echo hello" 2>/dev/null &
  pids+=($!)
done
sleep 1

mkdir -p "$root/bench/work"
echo "building the CLI (package, no install)..." >&2
(cd "$root" && mvn -B -q -o package -DskipTests -pl neguard-cli -am >/dev/null)
cp="$root/neguard-cli/target/neguard-cli.jar:$root/neguard-cli/target/lib/*"
# The launcher's JVM options (./neguard), without its build step; like the launcher, a
# class-data-sharing archive trained once (here on a scan of the same kind, in a temp dir).
work="$(mktemp -d)"
trap 'cleanup; rm -rf "$work"' EXIT
jvm=(java -XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr)
"${jvm[@]}" -XX:ArchiveClassesAtExit="$work/scan.jsa" -cp "$cp" org.neguard.cli.Main \
  harden scan --target "$target" --ports 1-1024 --udp-top 0 --sctp-ports none --no-identify --json >/dev/null
neguard=("${jvm[@]}" -XX:SharedArchiveFile="$work/scan.jsa" -cp "$cp" org.neguard.cli.Main)
# The same with C1 only (NEGUARD_JAVA_OPTS=-XX:TieredStopAtLevel=1 through the launcher): a sweep
# is over before C2's compilations pay for their CPU.
neguard_c1=("${jvm[@]}" -XX:TieredStopAtLevel=1 -XX:SharedArchiveFile="$work/scan.jsa" -cp "$cp" org.neguard.cli.Main)
scan_args=(harden scan --target "$target" --ports 1-65535 --udp-top 0 --sctp-ports none --no-identify)

# Same open ports?
nmap_open="$(nmap -sT -p- -n -Pn -oG - "$target" | grep -o '[0-9]*/open/tcp' | cut -d/ -f1 | sort -n | tr '\n' ' ')"
neguard_open="$("${neguard[@]}" "${scan_args[@]}" --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(str(p["port"]) for p in o["ports"] if p["transport"] == "TCP" and p["state"] == "OPEN"))') "
expected="$(printf '%s\n' "${open_ports[@]}" | sort -n | tr '\n' ' ')"
echo "listening: $expected"
echo "nmap:      $nmap_open"
echo "neguard:   $neguard_open"
if [ "$nmap_open" != "$expected" ] || [ "$neguard_open" != "$expected" ]; then
  echo "open port sets differ: no timing" >&2
  exit 1
fi

hyperfine -N --warmup 2 --runs "$runs" --export-markdown "$root/bench/work/harden-scan-vs-nmap.md" \
  -n "nmap -sT -p- -n -Pn" "nmap -sT -p- -n -Pn $target" \
  -n "neguard harden scan (TCP 1-65535)" "${neguard[*]} ${scan_args[*]}" \
  -n "neguard harden scan, C1 only" "${neguard_c1[*]} ${scan_args[*]}"
