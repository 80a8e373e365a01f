#!/usr/bin/env bash
# Benchmark (issue 12): device polls on the 304 path against one server on loopback, driven by
# 'neguard sim agents' (real mutual TLS, one kept-alive connection per device). For each point
# (devices x poll interval) it reports polls/s and poll latency p99 (the sim's --json summary)
# and the server's CPU per poll: utime+stime of the server's JVM from /proc/PID/stat before and
# after the sim's run, divided by the polls answered, and the sim's own CPU per poll in the steady
# state (the load generator shares the cores). Target: >= 5,000 polls/s, p99 < 50 ms.
# Reference in the same run: GET /actuator/health on the same server's users' port (same
# Tomcat and JVM, plain HTTP keep-alive, no TLS, no device check, no database), driven by wrk:
# the server's CPU per request for an empty Spring answer. Needs wrk: apt-get install wrk
# Usage: bench/fleet-polls.sh [WORKDIR]   (default: bench/work)
# POINTS="devices:interval ..." (default "200:50ms 500:100ms 1000:100ms 1000:50ms"),
# SECONDS_PER_POINT (default 35: progress lines every 10 s bound the steady state, from the first
# with every device started; on a loaded machine the sim's start takes longer: give more), THREADS (the sim's driving threads, default 16),
# NEGUARD may name the command to run (default: the ./neguard launcher).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}/fleet-polls"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
export NEGUARD_CDS="${NEGUARD_CDS:-0}"   # the server's start-up time is not measured
points="${POINTS:-200:50ms 500:100ms 1000:100ms 1000:50ms}"
seconds="${SECONDS_PER_POINT:-35}"
threads="${THREADS:-16}"
command -v wrk >/dev/null 2>&1 || { echo "missing wrk: apt-get install wrk" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1

# CPU seconds (user + system) of a process so far, from /proc/PID/stat fields 14 and 15.
cpu_seconds() {
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split()
print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}

# A fresh server (the launcher execs java, so the background PID is the server's JVM).
"${neguard[@]}" pki demo --out "$work/pki" >/dev/null
head -c 18 /dev/urandom | base64 >"$work/admin-password"
"${neguard[@]}" server --data "$work/data" --port 0 --device-port 0 --trust "$work/pki/ca.pem" \
  --admin-password-file "$work/admin-password" --json >"$work/server.json" 2>"$work/server.log" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 180); do
  grep -q '"url"' "$work/server.json" 2>/dev/null && break
  sleep 1
done
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' \
  "$work/server.json")"
echo "server: $url (pid $server_pid)"
cfg=(--config "$work/client")
"${neguard[@]}" login --server "$url" --user admin --password-file "$work/admin-password" \
  "${cfg[@]}" >/dev/null

max=0
for p in $points; do n="${p%%:*}"; [ "$n" -gt "$max" ] && max="$n"; done
# Enrollment, timed apart: one one-time token per device, a CSR each; the identities are kept in
# a state directory that the measured runs reuse (no enrollment in the measured window).
echo "== enrollment of $max devices"
start=$(date +%s.%N)
"${neguard[@]}" sim agents "${cfg[@]}" --count "$max" --poll-interval 10s --duration 1s \
  --threads "$threads" --state-dir "$work/devices" --json >"$work/enroll.json" 2>/dev/null
python3 - "$work/enroll.json" "$start" "$(date +%s.%N)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"{s['enrolled']} devices enrolled in {wall:.1f} s wall ({s['enrolled'] / wall:.0f}/s,"
      " including the sim's JVM start)")
PY

results="$work/results.jsonl"
: >"$results"
# Warm-up: the JIT compiles the poll path before the first measured point.
"${neguard[@]}" sim agents "${cfg[@]}" --count "$max" --poll-interval 100ms --duration 15s \
  --threads "$threads" --state-dir "$work/devices" --json >/dev/null 2>&1

for p in $points; do
  n="${p%%:*}"; interval="${p#*:}"
  before=$(cpu_seconds "$server_pid")
  # The sim prints a progress line every 10 s (cumulative polls) to stderr; each is stamped with
  # the server's CPU seconds at that moment, so that the steady state (from the first line to the
  # last: every device connected and handshaken, the JIT warm) is measured apart from the start.
  "${neguard[@]}" sim agents "${cfg[@]}" --count "$n" --poll-interval "$interval" \
    --duration "${seconds}s" --threads "$threads" --state-dir "$work/devices" --json \
    >"$work/sim-$n-$interval.json" \
    2> >(while IFS= read -r line; do
      sim_pid="$(pgrep -n -f -- "sim agents .*--state-dir $work/devices" || true)"
      sim_cpu="$( [ -n "$sim_pid" ] && cpu_seconds "$sim_pid" 2>/dev/null || echo -)"
      echo "$(cpu_seconds "$server_pid") $sim_cpu $line"; done >"$work/progress-$n-$interval.txt")
  after=$(cpu_seconds "$server_pid")
  sleep 1
  python3 - "$work/sim-$n-$interval.json" "$before" "$after" "$n" "$interval" \
    "$work/progress-$n-$interval.txt" >>"$results" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
cpu = float(sys.argv[3]) - float(sys.argv[2])
marks = []
# Steady state: from the first line with every device started (their identities loaded, their
# first handshakes done) and polling, to the last line the sim printed while running.
for line in open(sys.argv[6]):
    m = re.match(r"([\d.]+) ([\d.]+) sim: (\d+)/(\d+) enrolled .*?([\d,]+) polls \(", line)
    if m and m.group(3) == m.group(4) and int(m.group(5).replace(",", "")) > 0:
        marks.append((float(m.group(1)), float(m.group(2)), int(m.group(5).replace(",", ""))))
steady = sim = None
if len(marks) >= 2 and marks[-1][2] > marks[0][2]:
    polls = marks[-1][2] - marks[0][2]
    steady = round((marks[-1][0] - marks[0][0]) * 1e6 / polls, 1)
    sim = round((marks[-1][1] - marks[0][1]) * 1e6 / polls, 1)
print(json.dumps({"point": f"{sys.argv[4]} devices @ {sys.argv[5]}", "polls": s["polls"],
    "pollsPerSecond": s["pollsPerSecond"], "scheduled": s["scheduledPollsPerSecond"],
    "notModifiedShare": s["notModifiedShare"], "errors": s["pollErrors"],
    "p50": s["pollLatencyMs"]["p50"], "p99": s["pollLatencyMs"]["p99"],
    "lagP99": s["startLagMs"]["p99"], "serverCpuS": round(cpu, 2),
    "serverCpuUsPerPoll": round(cpu * 1e6 / max(1, s["polls"]), 1),
    "steadyCpuUsPerPoll": steady, "steadySimCpuUsPerPoll": sim}))
PY
  tail -1 "$results"
done

# The reference: the same server's cheapest answer, over plain keep-alive HTTP.
echo "== reference: wrk GET /actuator/health on the users' port"
before=$(cpu_seconds "$server_pid")
wrk -t2 -c64 -d"${seconds}s" --latency "$url/actuator/health" >"$work/wrk.txt"
after=$(cpu_seconds "$server_pid")
python3 - "$work/wrk.txt" "$before" "$after" >>"$results" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
n = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p99 = re.search(r"99%\s+(\S+)", t).group(1)
cpu = float(sys.argv[3]) - float(sys.argv[2])
print(json.dumps({"point": "reference: wrk /actuator/health, 64 connections", "polls": n,
    "pollsPerSecond": rps, "p99": p99, "serverCpuS": round(cpu, 2),
    "serverCpuUsPerPoll": round(cpu * 1e6 / n, 1)}))
PY
tail -1 "$results"

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ref = rows[-1]["serverCpuUsPerPoll"]
print("| point | polls/s (scheduled) | p50 / p99 ms | start lag p99 ms | 304 share | errors"
      " | server CPU per poll, whole run | steady state | steady / reference"
      " | sim CPU per poll, steady |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows[:-1]:
    st = r.get("steadyCpuUsPerPoll")
    print(f"| {r['point']} | {r['pollsPerSecond']:.0f} ({r['scheduled']:.0f}) | {r['p50']} /"
          f" {r['p99']} | {r['lagP99']} | {r['notModifiedShare']:.3f} | {r['errors']} |"
          f" {r['serverCpuUsPerPoll']} µs | {st} µs |"
          f" {(st / ref if st else float('nan')):.2f}× | {r.get('steadySimCpuUsPerPoll')} µs |")
r = rows[-1]
print(f"| {r['point']} | {r['pollsPerSecond']:.0f} | p99 {r['p99']} | | | |"
      f" {r['serverCpuUsPerPoll']} µs | | 1.00× | |")
best = max(rows[:-1], key=lambda r: r["pollsPerSecond"] if r["p99"] < 50 else -1)
met = best["pollsPerSecond"] >= 5000 and best["p99"] < 50
print(f"best point with p99 < 50 ms: {best['point']}, {best['pollsPerSecond']:.0f} polls/s,"
      f" p99 {best['p99']} ms: target (>= 5,000 polls/s, p99 < 50 ms) "
      + ("met" if met else "NOT met"))
PY

echo "== server peak RSS (VmHWM)"
grep VmHWM "/proc/$server_pid/status"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
trap - EXIT
