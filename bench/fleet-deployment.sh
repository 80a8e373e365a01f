#!/usr/bin/env bash
# Benchmark (issue 12): one deployment of a small signed package to N simulated devices in 5
# waves (20 % each, success threshold 95 %), from the approval to 'completed': wall time, server
# CPU (utime+stime from /proc/PID/stat) and peak RSS (VmHWM). Enrollment (one one-time token and
# one CSR per device) is timed apart, before. MODE=embedded (default): one server, embedded
# database. MODE=postgres: two replicas on one PostgreSQL database (127.0.0.1:5432, trust auth,
# user postgres; a database of its own, dropped at the end) with a shared --package-store, half
# of the devices on each replica (two sims); CPU and RSS are reported per replica.
# Usage: bench/fleet-deployment.sh [WORKDIR]   (default: bench/work)
# COUNT (devices, default 2000), POLL_INTERVAL (default 5s), THREADS (sim, default 16),
# NEGUARD may name the command to run (default: the ./neguard launcher).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${MODE:-embedded}"
count="${COUNT:-2000}"
interval="${POLL_INTERVAL:-5s}"
threads="${THREADS:-16}"
work="${1:-$root/bench/work}/fleet-deployment-$mode-$count"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
export NEGUARD_CDS="${NEGUARD_CDS:-0}"   # start-up time is not measured
rm -rf "$work"
mkdir -p "$work"
echo "mode $mode, $count devices, poll interval $interval; cpu: $(nproc) cores;" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

cpu_seconds() {
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split()
print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}
json_field() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"
}

# A small signed package (64 KiB payload), scanned by the demo clamd as 'pkg sign' requires.
"${neguard[@]}" pki demo --out "$work/pki" >/dev/null
mkdir -p "$work/payload"
head -c 65536 /dev/urandom >"$work/payload/firmware.bin"
"${neguard[@]}" pkg build --name fleet --version 1 --security-version 1 --ne-type mme \
  --vendor Bench --from "$work/payload" --out "$work/fleet.ngp" >/dev/null
[ -f "$root/neguard-av/target/test-classes/org/neguard/av/ClamdBenchRunner.class" ] ||
  (cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
java -cp "$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*" \
  org.neguard.av.ClamdBenchRunner clamd "$work/clamd" "$work/clamd.ready" &
clamd=$!
for _ in $(seq 600); do [ -f "$work/clamd.ready" ] && break; sleep 0.1; done
"${neguard[@]}" pkg scan "$work/fleet.ngp" --engine "$(sed -n 2p "$work/clamd.ready")" \
  --note "demo signature database (benchmark)" >/dev/null
kill "$clamd"; wait "$clamd" 2>/dev/null || true
"${neguard[@]}" pkg sign "$work/fleet.ngp" --key "$work/pki/vendor.key" \
  --cert "$work/pki/vendor.pem" >/dev/null

# The server(s). The launcher execs java: each background PID is a server's JVM.
head -c 18 /dev/urandom | base64 >"$work/admin-password"
db_args=()
replicas=1
if [ "$mode" = postgres ]; then
  replicas=2
  db="neguard_bench_$$"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
  db_args=(--db "jdbc:postgresql://127.0.0.1:5432/$db" --db-user postgres
    --package-store "$work/packages")
fi
pids=()
cleanup() {
  for p in "${pids[@]}" "${sims[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" "${sims[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "${db:-}" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}
sims=()
trap cleanup EXIT
urls=()
for r in $(seq "$replicas"); do
  "${neguard[@]}" server --data "$work/data$r" --port 0 --device-port 0 \
    --trust "$work/pki/ca.pem" --admin-password-file "$work/admin-password" "${db_args[@]}" \
    --json >"$work/server$r.json" 2>"$work/server$r.log" &
  pids+=($!)
  for _ in $(seq 180); do grep -q '"url"' "$work/server$r.json" 2>/dev/null && break; sleep 1; done
  urls+=("$(json_field "$work/server$r.json" url)")
done
echo "servers: ${urls[*]} (pids ${pids[*]})"

as() { local who="$1"; shift; "${neguard[@]}" "$@" --config "$work/$who"; }
as admin login --server "${urls[0]}" --user admin --password-file "$work/admin-password" >/dev/null
for role in publisher operator approver; do
  head -c 18 /dev/urandom | base64 >"$work/$role-password"
  as admin user add "bench-$role" --role "$role" --password-file "$work/$role-password" >/dev/null
  as "$role" login --server "${urls[0]}" --user "bench-$role" \
    --password-file "$work/$role-password" >/dev/null
done
for r in $(seq 2 "$replicas"); do
  as "admin$r" login --server "${urls[$((r - 1))]}" --user admin \
    --password-file "$work/admin-password" >/dev/null
done
as publisher pkg upload "$work/fleet.ngp" >/dev/null

# Enrollment, timed apart: COUNT/replicas devices per replica, the sims side by side.
per=$((count / replicas))
sim() {   # sim REPLICA ARGS...
  local r="$1"; shift
  local who=admin; [ "$r" = 1 ] || who="admin$r"
  as "$who" sim agents --count "$per" --label bench --id-prefix "r$r-" --threads "$threads" \
    --state-dir "$work/devices$r" "$@"
}
echo "== enrollment of $count devices"
start=$(date +%s.%N)
for r in $(seq "$replicas"); do
  sim "$r" --poll-interval 10s --duration 1s --json >"$work/enroll$r.json" 2>/dev/null &
  sims+=($!)
done
for p in "${sims[@]}"; do wait "$p"; done
sims=()
enroll_s=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 1))")
echo "enrolled in $enroll_s s wall ($(python3 -c "print(round($count / $enroll_s))")/s)"

# The devices poll from now on; the deployment is created, then approved (time zero).
for r in $(seq "$replicas"); do
  sim "$r" --poll-interval "$interval" --until-idle --duration 60m --json \
    >"$work/sim$r.json" 2>"$work/sim$r.log" &
  sims+=($!)
done
id="$(as operator deploy create --package fleet --version 1 --label bench \
  --waves 20%,20%,20%,20%,20% --success-threshold 95 --error-threshold 5 --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
sleep 5   # the sims have loaded their identities and poll
before=(); for p in "${pids[@]}"; do before+=("$(cpu_seconds "$p")"); done
start=$(date +%s.%N)
as approver deploy approve "$id" >/dev/null
as operator deploy status "$id" --watch --interval 1s >/dev/null 2>&1 ||
  echo "the deployment did not complete: $(as operator deploy status "$id" 2>&1 | head -3)"
wall=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
for p in "${sims[@]}"; do wait "$p" || true; done
sims=()
echo "== deployment $id, $count devices, 5 waves: approval to done $wall s wall"
for r in $(seq "$replicas"); do
  p="${pids[$((r - 1))]}"
  cpu=$(python3 -c "print(round($(cpu_seconds "$p") - ${before[$((r - 1))]}, 1))")
  echo "replica $r: server CPU $cpu s over the deployment; $(grep VmHWM "/proc/$p/status")"
  python3 - "$work/sim$r.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"  sim: {s['orders']} orders, {s['succeeded']} succeeded, {s['failed']} failed,"
      f" {s['unverifiedOrders']} unverified; {s['pollsPerSecond']} polls/s,"
      f" poll p99 {s['pollLatencyMs']['p99']} ms, {s['pollErrors']} poll errors")
PY
done
