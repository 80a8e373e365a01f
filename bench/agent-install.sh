#!/usr/bin/env bash
# Benchmark (issue 14): order to active for a SIZE_MIB (default 500) MiB package on a real agent.
# A real server on loopback (bench/agent-fleet.sh), one real agent (`neguard agent --config`
# through the launcher, polling every second). Two versions of the same payload (random, so the
# ZIP stores it; mixed file sizes) are built, scanned by a demo clamd, signed and uploaded; an
# operator deploys version 1, an approver approves, the agent installs it (cold: its JVM's first
# order); then version 2 the same way (warm: no JVM start, the digest code compiled). The phases
# come from the agent's own event lines (`ts`): order → tuf_verified (order signature, TUF
# refresh), → downloaded (mutual TLS, SHA-256 of the bundle), → verified_extracted (one pass of
# the bundle verifier: CMS signature and every file's SHA-256, the publication gate, then the
# extraction, which hashes every file again as it writes it; the event's verifyMs and extractMs
# split it), → activated (the atomic switch), → installed.
# References in the same run, on the same bundle, page cache warm, median of REF_RUNS runs:
#   `sha256sum BUNDLE` + `unzip -q BUNDLE -d DIR` (the sum; target: verify+extract <= 1.5x it);
#   `find payload -type f -print0 | xargs -0 openssl dgst -sha256` (the payload's bytes; target:
#   the agent's verification throughput, payload bytes / verifyMs, >= 1.0x openssl's).
# Needs unzip, openssl, python3. Usage: bench/agent-install.sh [WORKDIR] (default: bench/work)
# SIZE_MIB (default 500), REF_RUNS (default 3), NEGUARD may name the command (default: ./neguard).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}/agent-install"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
export NEGUARD_CDS="${NEGUARD_CDS:-0}"   # start-up of the tools is not measured
size_mib="${SIZE_MIB:-500}"
ref_runs="${REF_RUNS:-3}"
for c in unzip openssl sha256sum python3; do
  command -v "$c" >/dev/null 2>&1 || { echo "missing $c: apt-get install $c" >&2; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
echo "$(openssl version), $(sha256sum --version | head -1), $(unzip -v | head -1 | cut -c1-30)"
load() { echo "  (load average: $(cut -d' ' -f1-3 /proc/loadavg))"; }

# --- The payload: SIZE_MIB MiB of random bytes, 60 % in 4 large files, 30 % in 64 medium,
# 10 % in 1024 small (500 MiB: 4 x 75 MiB, 64 x 2.3 MiB, 1024 x 50 KiB). ------------------------
payload="$work/payload"
mkdir -p "$payload"
total=$((size_mib * 1048576))
for spec in "4 60 large" "64 30 medium" "1024 10 small"; do
  read -r count share name <<<"$spec"
  bytes=$((total * share / 100 / count))
  mkdir -p "$payload/$name"
  head -c $((count * bytes)) /dev/urandom | split -b "$bytes" -a 4 -d - "$payload/$name/f"
done
payload_bytes=$(du -sb --apparent-size "$payload" | cut -f1)
payload_files=$(find "$payload" -type f | wc -l)

# --- Two versions, scanned by a demo clamd (ClamdBenchRunner, neguard-av's test classes) and
# signed (`pkg sign` signs scanned packages only). --------------------------------------------
[ -f "$root/neguard-av/target/test-classes/org/neguard/av/ClamdBenchRunner.class" ] ||
  (cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
"${neguard[@]}" pki demo --out "$work/pki" >/dev/null
java -cp "$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*" \
  org.neguard.av.ClamdBenchRunner clamd "$work/clamd" "$work/clamd.ready" &
clamd=$!
for _ in $(seq 600); do [ -f "$work/clamd.ready" ] && break; sleep 0.1; done
[ -f "$work/clamd.ready" ] || { echo "the demo clamd did not come up" >&2; exit 1; }
for v in 1 2; do
  b="$work/agentbench-$v.ngp"
  "${neguard[@]}" pkg build --name agentbench --version "$v" --security-version 1 --ne-type mme \
    --vendor Bench --from "$payload" --out "$b" >/dev/null
  "${neguard[@]}" pkg scan "$b" \
    --engine "$(sed -n 2p "$work/clamd.ready")?maxFileSize=400M&streamMaxLength=400M" \
    --note "demo signature database (benchmark)" >/dev/null
  "${neguard[@]}" pkg sign "$b" --key "$work/pki/vendor.key" \
    --cert "$work/pki/vendor.pem" >/dev/null
done
kill "$clamd"; wait "$clamd" 2>/dev/null || true
bundle="$work/agentbench-1.ngp"
bundle_bytes=$(stat -c %s "$bundle")
echo "package: $payload_files files, $payload_bytes payload bytes; bundle $bundle_bytes bytes"

# --- The server (the vendor PKI above is the one it trusts), the agent, two deployments. ------
# shellcheck source=bench/agent-fleet.sh
. "$root/bench/agent-fleet.sh"
for v in 1 2; do
  as pub pkg upload "$work/agentbench-$v.ngp" >"$work/upload-$v.txt" 2>&1 ||
    { echo "upload of version $v failed:" >&2; cat "$work/upload-$v.txt" >&2; exit 1; }
done
echo "uploaded"; load
ne_config ne-bench 1s
agent_start ne-bench
await_event ne-bench enrolled 120
await_event ne-bench poll 60
echo "agent pid $agent_pid, JVM options:" \
  "$(tr '\0' ' ' <"/proc/$agent_pid/cmdline" | sed 's/ -jar .*//; s/^[^ ]* //')"
log="$work/ne-bench/agent.log"
for v in 1 2; do
  load
  id=$(as op deploy create --package agentbench --version "$v" --device ne-bench --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  as appr deploy approve "$id" >/dev/null
  for _ in $(seq 1800); do
    [ "$(grep -c '"event":"reported"' "$log" || true)" -ge "$v" ] && break
    sleep 0.2
  done
  grep '"event":"reported"' "$log" | sed -n "${v}p" | grep -q '"status":"succeeded"' || {
    echo "version $v was not installed; the agent's log:" >&2; tail -20 "$log" >&2; exit 1; }
  echo "version $v installed: current -> $(readlink "$work/ne-bench/install/current")"
done
echo "agent peak RSS (VmHWM): $(($(status_kib "$agent_pid" VmHWM) / 1024)) MiB"

# --- References, same bundle, page cache warm. -------------------------------------------------
load
ref="$work/ref.txt"
: >"$ref"
cat "$bundle" >/dev/null
for i in $(seq "$ref_runs"); do
  rm -rf "$work/unzipped"
  s=$(date +%s.%N); sha256sum "$bundle" >/dev/null; m=$(date +%s.%N)
  unzip -q "$bundle" -d "$work/unzipped"; e=$(date +%s.%N)
  sync -f "$work/unzipped" 2>/dev/null || true
  s2=$(date +%s.%N)
  find "$payload" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null
  e2=$(date +%s.%N)
  echo "$s $m $e $s2 $e2" >>"$ref"
done
rm -rf "$work/unzipped"

python3 - "$log" "$ref" "$payload_bytes" "$bundle_bytes" <<'PY'
import json, statistics, sys
from datetime import datetime
log, ref, payload, bundle = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ts = lambda e: datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp()
events = [json.loads(l) for l in open(log) if l.startswith("{")]
orders, cur = [], None
for e in events:
    if e["event"] == "order":
        cur = {"order": e}
        orders.append(cur)
    elif cur is not None and e["event"] in ("tuf_verified", "downloaded", "verified_extracted",
                                            "activated", "installed"):
        cur[e["event"]] = e
rows = []
for o in orders:
    t = {k: ts(v) for k, v in o.items()}
    ve = o["verified_extracted"]
    rows.append({
        "tuf": t["tuf_verified"] - t["order"], "download": t["downloaded"] - t["tuf_verified"],
        "verify_extract": t["verified_extracted"] - t["downloaded"],
        "verify": ve.get("verifyMs", float("nan")) / 1000,
        "extract": ve.get("extractMs", float("nan")) / 1000,
        "switch": t["activated"] - t["verified_extracted"],
        "report": t["installed"] - t["activated"], "total": t["installed"] - t["order"]})
refs = [list(map(float, l.split())) for l in open(ref)]
sha = statistics.median(r[1] - r[0] for r in refs)
unz = statistics.median(r[2] - r[1] for r in refs)
ossl = statistics.median(r[4] - r[3] for r in refs)
mib = 1048576
print()
print("| phase (agent's event lines) | version 1 (cold) | version 2 (warm) |")
print("|---|---|---|")
names = [("order → tuf_verified (order, TUF refresh)", "tuf"),
         ("download (mutual TLS, bundle SHA-256)", "download"),
         ("verify + extract (one pass)", "verify_extract"),
         ("&nbsp;&nbsp;of which verification (signature, every digest)", "verify"),
         ("&nbsp;&nbsp;of which gate, judgement, extraction (re-hash + write)", "extract"),
         ("switch (activated)", "switch"), ("record + report (installed)", "report"),
         ("**order → installed**", "total")]
for label, k in names:
    print(f"| {label} | " + " | ".join(f"{r[k]:.2f} s" for r in rows) + " |")
print()
print(f"references (median of {len(refs)}): sha256sum {sha:.2f} s, unzip {unz:.2f} s,"
      f" sum {sha + unz:.2f} s; openssl dgst -sha256 over the payload {ossl:.2f} s"
      f" ({payload / mib / ossl:.0f} MiB/s)")
for label, r in zip(("version 1 (cold)", "version 2 (warm)"), rows):
    ratio = r["verify_extract"] / (sha + unz)
    vt = payload / mib / r["verify"] if r["verify"] == r["verify"] else float("nan")
    print(f"{label}: verify+extract {r['verify_extract']:.2f} s = {ratio:.2f}x sha256sum+unzip"
          f" (target <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'}); verification"
          f" {vt:.0f} MiB/s = {vt / (payload / mib / ossl):.2f}x openssl"
          f" (target >= 1.0x: {'met' if vt >= payload / mib / ossl else 'NOT met'});"
          f" download {bundle / mib / r['download']:.0f} MiB/s")
PY
