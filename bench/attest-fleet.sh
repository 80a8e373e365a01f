#!/usr/bin/env bash
# Benchmark (issue 15): simulated NEs attesting on the server's runtime schedule. Target of the
# issue: 100,000 NEs attesting every 5 minutes (333 attestations/s) against one server on this
# 2-core machine, p99 < 100 ms, and CPU; then the same on two replicas on PostgreSQL.
# The client ('neguard sim agents': real mutual TLS, one key and connection per NE, evidence
# signed per challenge) runs on the same 2 cores, and enrollment runs at 20-60 NEs/s here, so
# the default is the same attestation RATE with fewer NEs and a shorter interval: COUNT NEs,
# '--attest-interval ATTEST_INTERVAL --attest-jitter ATTEST_JITTER' (the jitter is added at
# random, 0 to JITTER: the mean interval is INTERVAL + JITTER/2; 1000 NEs at 2.5 s + up to 1 s
# = 3 s mean = 333/s). Per mode: enrollment (timed apart), then one sim run per replica: a
# warm-up of WARMUP seconds at least, until every NE has polled (connections made, first contacts
# answered, JIT), then, in the same
# process and connections, a measured window of SECONDS_RUN seconds: attestations/s and results, the evidence round trip
# p50/p99 as the NE saw it (POST /api/device/v1/evidence: verification, judgement and commit),
# the polls of the same run (the reference: the cheapest device request, same TLS, same
# client), each server JVM's CPU in the window (utime+stime, /proc/PID/stat, stamped on the sim's
# end-of-warm-up line and its last line), the simulators' own CPU in the window (their summary's
# cpuSeconds), the machine's busy share (/proc/stat, server, database and client together) and
# the seconds the server's JIT compiled in the window (jstat; above a tenth of its CPU the
# summary says the warm-up was too short: an A/B of two servers then compares their compilers).
# MODES="embedded postgres" (postgres: two replicas on one fresh database at 127.0.0.1:5432,
# trust auth, user postgres, dropped at the end; half the NEs on each replica, two sims).
# Usage: bench/attest-fleet.sh [WORKDIR]   (default: bench/work)
# COUNT (1000), ATTEST_INTERVAL (2500ms), ATTEST_JITTER (1s), POLL_INTERVAL (2s), SECONDS_RUN (60),
# WARMUP (30), THREADS (sim threads per sim, 16). NO_KEEP_ALIVE=1: the NEs close their
# connections after each poll and what it brought ('sim agents --no-keep-alive'), so that a
# fleet larger than the open files of one process fits (a kept NE holds two on each side).
# SIMS (1): simulator processes per replica, each with its share of the NEs (a simulated NE
# keeps about 65 KB of heap: 100,000 in one JVM pass its default heap on a 24 GiB machine).
# DB_FILE_EVERY (0: off): every so many seconds of the sims' run, the embedded database's file
# size, and of it the chunks in use and their live pages (the server's metrics), printed at the
# end (the file that grew without bound, issue 15), with the routine passes deleted so far.
# PASS_HISTORY (the server's default, 30d): its '--attest-pass-history', e.g. 5m to have the
# routine passes deleted within a run (the first look is 10 minutes after the start).
# NEGUARD names the command (default ./neguard); SERVER_NEGUARD the servers' command (default:
# NEGUARD), to compare two builds' servers against the same client.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
modes="${MODES:-embedded postgres}"
count="${COUNT:-1000}"
ainterval="${ATTEST_INTERVAL:-2500ms}"
ajitter="${ATTEST_JITTER:-1s}"
pinterval="${POLL_INTERVAL:-2s}"
seconds="${SECONDS_RUN:-60}"
warmup="${WARMUP:-30}"
threads="${THREADS:-16}"
sims_per="${SIMS:-1}"
# A challenge waits for the NE's next poll: with POLL_INTERVAL longer than the server's default
# challenge validity (2m) give CHALLENGE_VALIDITY (e.g. twice the poll interval), or challenges
# expire unanswered and the NEs count as silent.
attest_opts=()
[ -n "${CHALLENGE_VALIDITY:-}" ] && attest_opts=(--attest-challenge-validity "$CHALLENGE_VALIDITY")
[ -n "${PASS_HISTORY:-}" ] && attest_opts+=(--attest-pass-history "$PASS_HISTORY")
keep=()
[ "${NO_KEEP_ALIVE:-0}" = 1 ] && keep=(--no-keep-alive)
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
read -r -a server_neguard <<<"${SERVER_NEGUARD:-${NEGUARD:-$root/neguard}}"
export NEGUARD_CDS="${NEGUARD_CDS:-0}"
# Each simulated NE keeps two connections (its kept poll connection and the one of its other
# requests), one descriptor each on both sides: 10,000 NEs took the server and the simulator to
# 20,000 descriptors, this machine's hard limit (2026-12-06, "Too many open files"). Raised
# where the limit allows (root with CAP_SYS_RESOURCE); the limit is printed.
ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open files per process: $(ulimit -n)"
if [ -z "${NEGUARD:-}" ]; then
  (cd "$root" && mvn -o -B -q package -pl neguard-cli -am -DskipTests)
fi
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
echo "$count NEs, attest interval $ainterval + jitter up to $ajitter, poll interval $pinterval," \
  "measured $seconds s after a $warmup s warm-up${keep[*]:+, connections closed after each poll}"

cpu_seconds() {
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split()
print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}
# Seconds the server's JIT compilers have spent compiling, elapsed (HotSpot's sun.ci.totalTime,
# read by jstat; a compiler thread waiting for a core counts too): a warm-up too short leaves the
# window measuring the compilers (2026-12-07: a quarter of the server's CPU after 40 s with
# 2,000 NEs, 2-5 % after 150 s, by the threads' own CPU). Empty when jstat cannot read it.
jit_seconds() { jstat -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $4}' || true; }
# busy and total jiffies of the whole machine
machine() { awk '/^cpu /{b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6}' /proc/stat; }
json_field() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"
}

pids=()
sims=()
db=""
cleanup() {
  for p in "${sims[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${sims[@]}" "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$db" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  db=""
}
trap cleanup EXIT

base="${1:-$root/bench/work}/attest-fleet"
rm -rf "$base"
mkdir -p "$base"
results="$base/results.jsonl"
: >"$results"

for mode in $modes; do
  work="$base/$mode"
  mkdir -p "$work"
  replicas=1
  db_args=()
  if [ "$mode" = postgres ]; then
    replicas=2
    db="neguard_attest_bench_$$"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
    db_args=(--db "jdbc:postgresql://127.0.0.1:5432/$db" --db-user postgres
      --package-store "$work/packages")
  fi
  "${neguard[@]}" pki demo --out "$work/pki" >/dev/null
  head -c 18 /dev/urandom | base64 >"$work/admin-password"
  pids=()
  urls=()
  for r in $(seq "$replicas"); do
    "${server_neguard[@]}" server --data "$work/data$r" --port 0 --device-port 0 \
      --trust "$work/pki/ca.pem" --admin-password-file "$work/admin-password" "${db_args[@]}" \
      --attest-interval "$ainterval" --attest-jitter "$ajitter" \
      ${attest_opts[@]+"${attest_opts[@]}"} \
      --json >"$work/server$r.json" 2>"$work/server$r.log" &
    pids+=($!)
    for _ in $(seq 180); do grep -q '"url"' "$work/server$r.json" 2>/dev/null && break; sleep 1; done
    urls+=("$(json_field "$work/server$r.json" url)")
  done
  echo "== $mode: servers ${urls[*]} (pids ${pids[*]})"
  for r in $(seq "$replicas"); do
    "${neguard[@]}" login --server "${urls[$((r - 1))]}" --user admin \
      --password-file "$work/admin-password" --config "$work/admin$r" >/dev/null
  done
  per=$((count / replicas / sims_per))
  sim() {   # sim REPLICA K ARGS...: the K-th simulator of replica REPLICA
    local r="$1" k="$2"; shift 2
    "${neguard[@]}" sim agents --config "$work/admin$r" --count "$per" --id-prefix "r$r-$k-" \
      --threads "$threads" --state-dir "$work/devices$r-$k" ${keep[@]+"${keep[@]}"} "$@"
  }
  start=$(date +%s.%N)
  for r in $(seq "$replicas"); do
    for k in $(seq "$sims_per"); do
      sim "$r" "$k" --poll-interval 10s --duration 1s --json >"$work/enroll$r-$k.json" \
        2>/dev/null &
      sims+=($!)
    done
  done
  for p in "${sims[@]}"; do wait "$p"; done
  sims=()
  enroll_s=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
  echo "enrolled $count NEs in $enroll_s s wall"
  # SIMS sim processes per replica (the server's CPU window read from the first one's lines): a
  # warm-up (at least WARMUP s and until every device has polled: the devices' mutual-TLS
  # connections made, the first contacts, all due at enrollment, answered, the JIT warm), then
  # the measured window ('--warmup': the sim's counts start afresh and it says so on stderr).
  # Each stderr line is stamped with the server's CPU seconds and the machine's jiffies at that
  # moment, so that the server's CPU is read from the warm-up's end to the sim's last line: no
  # first handshake inside.
  for r in $(seq "$replicas"); do
    p="${pids[$((r - 1))]}"
    for k in $(seq "$sims_per"); do
      sim "$r" "$k" --poll-interval "$pinterval" --warmup "${warmup}s" \
        --duration "${seconds}s" --json >"$work/sim$r-$k.json" \
        2> >(while IFS= read -r line; do echo "$(cpu_seconds "$p") $(machine) $line"
          case "$k:$line" in 1:*"warm-up over"*) jit_seconds "$p" >"$work/jit$r.start" ;; esac
        done >"$work/progress$r-$k.txt") &
      sims+=($!)
    done
  done
  sampler=""
  if [ "$mode" = embedded ] && [ "${DB_FILE_EVERY:-0}" != 0 ]; then
    [[ "$DB_FILE_EVERY" =~ ^[1-9][0-9]*$ ]] || { echo "DB_FILE_EVERY: whole seconds" >&2; exit 2; }
    # The server's own measure of it (EmbeddedDatabaseHousekeeping): the chunks in use, their
    # live pages, the bytes written, the housekeeping's runs that rewrote. The token goes to
    # curl in a file, not on its command line. A failed read leaves the line's meters empty.
    header="$work/metrics-header"
    (umask 077; python3 -c 'import json,sys
print("Authorization: Bearer " + json.load(open(sys.argv[1]))["servers"][sys.argv[2]]["token"])' \
      "$work/admin1/credentials.json" "${urls[0]}" >"$header")
    (set +e +o pipefail; t0=$(date +%s); while :; do
      m=$(curl -sf --max-time 5 -H @"$header" "${urls[0]}/actuator/prometheus" |
        awk '/^neguard_database_file_used_bytes /{u=$2} /^neguard_database_file_live_bytes /{l=$2}
          /^neguard_database_file_written_bytes /{w=$2}
          /^neguard_database_housekeeping_rewrites_total /{r=$2}
          /^neguard_attestation_history_deleted_total /{d=$2}
          END {if (u != "") printf " %d %d %d %d %d", u, l, w, r, d}')
      echo "$(($(date +%s) - t0)) $(stat -c %s "$work/data1/db/neguard.mv.db")$m"
      sleep "$DB_FILE_EVERY"; done) >"$work/db-file.txt" 2>/dev/null &
    sampler=$!
  fi
  for p in "${sims[@]}"; do wait "$p"; done
  sims=()
  for r in $(seq "$replicas"); do
    jit_seconds "${pids[$((r - 1))]}" >"$work/jit$r.end"
  done
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    echo "$mode: the database's file (s: MB, of which in chunks, of which live; MB written" \
      "since the start, housekeeping runs that rewrote; routine passes deleted):"
    awk '{printf "  %s: %d %d %d; %d, %d; %d\n", $1, $2 / 1048576, $3 / 1048576, $4 / 1048576,
      $5 / 1048576, $6, $7}' "$work/db-file.txt"
  fi
  sleep 1   # the stamping readers' last line
  cpus=()
  jits=()
  for r in $(seq "$replicas"); do
    window=($(python3 - "$work/progress$r-1.txt" <<'PY'
import sys
lines = [l.split(" ", 3) for l in open(sys.argv[1])]
start = [l for l in lines if "warm-up over" in l[3]]
if not start:
    sys.exit("the sim printed no end of its warm-up: " + sys.argv[1])
s, e = start[-1], lines[-1]
print(round(float(e[0]) - float(s[0]), 2), s[1], s[2], e[1], e[2])
PY
    ))
    [ "${#window[@]}" = 5 ] || exit 1
    cpus+=("${window[0]}")
    jits+=("$(python3 -c 'import sys
try:
    print(round(float(open(sys.argv[2]).read()) - float(open(sys.argv[1]).read()), 2))
except (OSError, ValueError):
    print("null")' "$work/jit$r.start" "$work/jit$r.end")")
    if [ "$r" = 1 ]; then m0="${window[1]} ${window[2]}"; m1="${window[3]} ${window[4]}"; fi
  done
  python3 - "$mode" "$count" "$seconds" "$m0" "$m1" "${cpus[*]}" "${jits[*]}" \
    "$work"/sim*.json >>"$results" <<'PY'
import json, sys
mode, count, seconds, m0, m1, cpus, jits = sys.argv[1:8]
sims = [json.load(open(f)) for f in sys.argv[8:]]
jits = [None if j == "null" else float(j) for j in jits.split()]
b0, t0 = map(int, m0.split()); b1, t1 = map(int, m1.split())
cpus = [float(c) for c in cpus.split()]
att = sum(s["attestations"] for s in sims)
polls = sum(s["polls"] for s in sims)
secs = max(s["pollSeconds"] for s in sims)
results = {}
kinds = {}
for s in sims:
    for k, v in s["attestationResults"].items():
        results[k] = results.get(k, 0) + v
    for k, v in s.get("attestationErrorKinds", {}).items():
        kinds[k] = kinds.get(k, 0) + v
print(json.dumps({"mode": mode, "devices": int(count), "seconds": secs,
    "attestations": att, "attestationsPerSecond": round(att / secs, 1),
    "results": results, "attestErrors": sum(s["attestationErrors"] for s in sims),
    "attestErrorKinds": kinds,
    "attestP50": [s["attestLatencyMs"]["p50"] for s in sims],
    "attestP99": [s["attestLatencyMs"]["p99"] for s in sims],
    "attestMax": [s["attestLatencyMs"]["max"] for s in sims],
    "polls": polls, "pollsPerSecond": round(polls / secs, 1),
    "pollErrors": sum(s["pollErrors"] for s in sims),
    "pollP50": [s["pollLatencyMs"]["p50"] for s in sims],
    "pollP99": [s["pollLatencyMs"]["p99"] for s in sims],
    "startLagP99": [s["startLagMs"]["p99"] for s in sims],
    "serverCpuS": cpus, "serverCores": round(sum(cpus) / secs, 2), "serverJitS": jits,
    "serverCpuMsPerAttestation": round(sum(cpus) * 1000 / max(1, att), 2),
    "simCpuS": round(sum(s.get("cpuSeconds") or 0 for s in sims), 2),
    "simCpuMsPerAttestation": round(sum(s.get("cpuSeconds") or 0 for s in sims) * 1000
                                    / max(1, att), 2),
    "machineBusy": round((b1 - b0) / max(1, t1 - t0), 3)}))
PY
  tail -1 "$results"
  for r in $(seq "$replicas"); do
    echo "replica $r: $(grep VmHWM "/proc/${pids[$((r - 1))]}/status")"
  done
  cleanup
  pids=()
done

python3 - "$results" "$count" "$ainterval" "$ajitter" "$pinterval" <<'PY'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def secs(d):
    n, unit = re.fullmatch(r"(\d+)(ms|s|m|h|d)", d).groups()
    return int(n) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
offered = int(sys.argv[2]) / (secs(sys.argv[3]) + secs(sys.argv[4]) / 2)
# A challenge waits for the NE's next poll, and the next is scheduled from the judgement: each
# NE's cycle is the interval, half the jitter and half the poll interval on average.
cycle = int(sys.argv[2]) / (secs(sys.argv[3]) + secs(sys.argv[4]) / 2 + secs(sys.argv[5]) / 2)
print("| setup | NEs | attestations/s (results) | evidence p50 / p99 ms | polls/s | poll p50 / p99 ms"
      " | sim start lag p99 ms | server CPU (cores) | server CPU per attestation (polls included)"
      " | sim CPU per attestation | machine busy |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['mode']} | {r['devices']} | {r['attestationsPerSecond']} ({r['results']},"
          f" {r['attestErrors']} errors{' ' + str(r['attestErrorKinds']) if r.get('attestErrorKinds') else ''})"
          f" | {r['attestP50']} / {r['attestP99']} |"
          f" {r['pollsPerSecond']} | {r['pollP50']} / {r['pollP99']} | {r['startLagP99']} |"
          f" {r['serverCpuS']} s ({r['serverCores']}) | {r['serverCpuMsPerAttestation']} ms |"
          f" {r['simCpuMsPerAttestation']} ms | {r['machineBusy']:.0%} |")
for r in rows:
    jit = r.get("serverJitS") or []
    if jit and None not in jit:
        share = sum(jit) / max(0.01, sum(r["serverCpuS"]))
        print(f"{r['mode']}: the server's JIT compiled for {jit} s (elapsed) in the window,"
              f" {share:.0%} of the server's CPU seconds there" + (": still warming up, a longer"
              " WARMUP measures it warm" if share > 0.10 else ""))
    else:
        print(f"{r['mode']}: the server's compile time was not read (jstat)")
for r in rows:
    p99 = max(r["attestP99"])
    print(f"{r['mode']}: evidence p99 {p99} ms = {p99 / max(r['pollP99']):.2f}x the poll p99 of"
          f" the same run; {r['attestationsPerSecond']} attestations/s, {offered:.0f}/s"
          f" scheduled, at most {cycle:.0f}/s with the polls' pick-up"
          f" (the issue's fleet: 333/s):"
          f" p99 target (< 100 ms) " + ("met" if p99 < 100 else "NOT met"))
PY
