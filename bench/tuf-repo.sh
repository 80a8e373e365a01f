#!/usr/bin/env bash
# Benchmark (issue 13): the TUF repository at 10,000 targets. Two servers on one PostgreSQL
# (127.0.0.1:5432, trust auth, user postgres; a database each, created here and dropped at the
# end), both with --repo-public and a 1-of-1 offline root made by 'neguard repo key new / init /
# root sign / root publish':
#   big: 10,000 synthetic verified packages inserted into its 'packages' table with psql, then
#        published by the repository's schedule (--repo-renew-interval);
#   ref: the reference, an empty repository (0 targets before the first measured upload).
# 1. Publishing one more package: wall time of 'neguard pkg upload' of a real signed package (64
#    KiB payload, demo PKI, scanned by the demo clamd; the upload answers after its target is
#    signed), ROUNDS rounds, each uploading version i to big then to ref (interleaved); the server
#    log's phases; the sizes of the new N.targets.json, N.snapshot.json and timestamp.json.
# 2. A refresh with nothing new, NEGuard's client ('neguard repo verify --state-dir DIR', second
#    run) and tuf-js (interop/tuf-js/fetch.mjs with a kept work directory and --keep-target) as the
#    reference client: bytes moved per file (a counting reverse proxy in python3 on 127.0.0.1
#    between client and server: response bodies, and header bytes both ways), and wall time
#    (hyperfine, directly against the server; the same two clients against ref, and the
#    launcher's start alone, '--version', tell start-up from the 10,000 targets' share).
#    Target: a no-change refresh moves only timestamp.json (and the 404 of the next root).
#    tuf-js takes about 40 s a run at 10,000 targets (its models load targets quadratically):
#    RUNS=5 keeps the run near 10 minutes.
# Needs: psql, python3, node (interop/tuf-js/node_modules: npm ci), hyperfine (apt-get install
# hyperfine), clamd (the demo scan). Usage: bench/tuf-repo.sh [WORKDIR] (default: bench/work)
# TARGETS (default 10000), ROUNDS (default 5), RUNS (hyperfine, default 10),
# RENEW_INTERVAL (big's --repo-renew-interval, default 30s),
# NEGUARD may name the command to run (default: the ./neguard launcher).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}/tuf-repo"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
export NEGUARD_CDS="${NEGUARD_CDS:-0}"   # the servers' start-up time is not measured
ntargets="${TARGETS:-10000}"
rounds="${ROUNDS:-5}"
runs="${RUNS:-10}"
renew="${RENEW_INTERVAL:-30s}"
for c in psql node hyperfine; do
  command -v "$c" >/dev/null 2>&1 || { echo "missing $c" >&2; exit 1; }
done
[ -d "$root/interop/tuf-js/node_modules/tuf-js" ] ||
  { echo "missing interop/tuf-js/node_modules: (cd interop/tuf-js && npm ci)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)" \
  "$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo '(with uncommitted changes)')"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
java -version 2>&1 | head -1
echo "node $(node --version), tuf-js $(node -p "require('$root/interop/tuf-js/node_modules/tuf-js/package.json').version"),"\
  "$(psql --version), $(hyperfine --version)"
load() { echo "  (load average: $(cut -d' ' -f1-3 /proc/loadavg))"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# --- Packages to upload: ROUNDS versions of one 64 KiB package, scanned and signed. ----------
"${neguard[@]}" pki demo --out "$work/pki" >/dev/null
mkdir -p "$work/payload"
head -c 65536 /dev/urandom >"$work/payload/firmware.bin"
[ -f "$root/neguard-av/target/test-classes/org/neguard/av/ClamdBenchRunner.class" ] ||
  (cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
java -cp "$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*" \
  org.neguard.av.ClamdBenchRunner clamd "$work/clamd" "$work/clamd.ready" &
clamd=$!
for _ in $(seq 600); do [ -f "$work/clamd.ready" ] && break; sleep 0.1; done
for i in $(seq "$rounds"); do
  "${neguard[@]}" pkg build --name tufbench --version "$i" --security-version 1 --ne-type mme \
    --vendor Bench --from "$work/payload" --out "$work/tufbench-$i.ngp" >/dev/null
  "${neguard[@]}" pkg scan "$work/tufbench-$i.ngp" --engine "$(sed -n 2p "$work/clamd.ready")" \
    --note "demo signature database (benchmark)" >/dev/null
  "${neguard[@]}" pkg sign "$work/tufbench-$i.ngp" --key "$work/pki/vendor.key" \
    --cert "$work/pki/vendor.pem" >/dev/null
done
kill "$clamd"; wait "$clamd" 2>/dev/null || true
echo "packages: $rounds signed versions of tufbench, $(stat -c %s "$work/tufbench-1.ngp") bytes each"

# --- The servers and their roots. -------------------------------------------------------------
pids=()
dbs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${dbs[@]}"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $d" >/dev/null || true
  done
}
trap cleanup EXIT
head -c 18 /dev/urandom | base64 >"$work/admin-password"
head -c 18 /dev/urandom | base64 >"$work/publisher-password"
head -c 18 /dev/urandom | base64 >"$work/root-key-password"
declare -A url pid dbname
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
as() { local who="$1"; shift; "${neguard[@]}" "$@" --config "$work/$who"; }
start_server() {   # start_server NAME RENEW_INTERVAL
  local s="$1" db="neguard_tufbench_${1}_$$"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
  dbs+=("$db")
  dbname[$1]="$db"
  "${neguard[@]}" server --data "$work/$s/data" --port 0 --device-port 0 \
    --trust "$work/pki/ca.pem" --admin-password-file "$work/admin-password" \
    --db "jdbc:postgresql://127.0.0.1:5432/$db" --db-user postgres \
    --repo-public --repo-renew-interval "$2" \
    --json >"$work/$s.json" 2>"$work/$s.log" &
  pid[$s]=$!
  pids+=($!)
}
mkdir -p "$work/big" "$work/ref"
start_server big "$renew"
start_server ref 1m
for s in big ref; do
  for _ in $(seq 240); do grep -q '"url"' "$work/$s.json" 2>/dev/null && break; sleep 1; done
  url[$s]="$(json_field "$work/$s.json" url)"
  as "$s-admin" login --server "${url[$s]}" --user admin --password-file "$work/admin-password" \
    >/dev/null
  as "$s-admin" user add bench-publisher --role publisher \
    --password-file "$work/publisher-password" >/dev/null
  as "$s-publisher" login --server "${url[$s]}" --user bench-publisher \
    --password-file "$work/publisher-password" >/dev/null
  # A 1-of-1 root: the holder's key (made offline), the root assembled from its public key and
  # the server's online keys, signed, published.
  "${neguard[@]}" repo key new --out "$work/$s/root.key" \
    --password-file "$work/root-key-password" >/dev/null
  as "$s-admin" repo init --root-key "$work/$s/root.key.pub.json" --threshold 1 \
    --out "$work/$s/root.json" >/dev/null
  "${neguard[@]}" repo root sign "$work/$s/root.json" --key "$work/$s/root.key" \
    --password-file "$work/root-key-password" >/dev/null
  as "$s-admin" repo root publish "$work/$s/root.json" >/dev/null
  echo "server $s: ${url[$s]} (pid ${pid[$s]}), root published"
done
big_db="${dbname[big]}"

# --- Fill big with TARGETS synthetic verified packages; the schedule publishes them. -----------
# Distinct names and versions (target names bench-NNNNN-1.0.N.ngp), plausible lengths (1-4 MiB),
# SHA-256 values and RIMs; the bundle files do not exist (publishing needs only the rows).
start=$(now)
psql -h 127.0.0.1 -U postgres -d "$big_db" -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO packages (name, version, manifest_sha256, size_bytes, security_version, ne_type,
    vendor, rim, signer_subject, signer_fingerprint, uploaded_by, uploaded_at, file_sha256)
  SELECT 'bench-' || lpad(i::text, 5, '0'), '1.0.' || i,
         encode(sha256(('manifest ' || i)::bytea), 'hex'), 1048576 + (i * 7919) % 3145728,
         1 + i % 4, (ARRAY['mme', 'sgw', 'pgw', 'hss'])[1 + i % 4], 'Bench Vendor',
         encode(sha256(('rim ' || i)::bytea), 'hex'), 'CN=Bench Vendor Signing, O=Bench',
         encode(sha256('bench signer'::bytea), 'hex'), 'bench', now(),
         encode(sha256(('file ' || i)::bytea), 'hex')
  FROM generate_series(1, $ntargets) AS i;
SQL
echo "inserted $ntargets rows into big's packages in $(elapsed "$start" "$(now)") s;" \
  "waiting for the schedule (every $renew) to publish them"
for _ in $(seq 600); do
  grep -q "repository published: targets [0-9]* ($ntargets targets)" "$work/big.log" && break
  sleep 1
done
grep -q "repository published: targets [0-9]* ($ntargets targets)" "$work/big.log" ||
  { echo "big never published $ntargets targets" >&2; tail -20 "$work/big.log" >&2; exit 1; }
grep "repository published: targets [0-9]* ($ntargets targets)" "$work/big.log" | tail -1 |
  sed 's/^/  big: /'
echo "  published $(elapsed "$start" "$(now)") s after the insert began"

# Sizes of the current metadata of a server, from its public repository.
sizes() {   # sizes URL -> JSON {timestamp, snapshot, targets: {version, bytes}}
  python3 - "$1/api/repo/v1/metadata" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def get(n):
    return urllib.request.urlopen(f"{base}/{n}", timeout=60).read()
ts = get("timestamp.json")
sv = json.loads(ts)["signed"]["meta"]["snapshot.json"]["version"]
sn = get(f"{sv}.snapshot.json")
tv = json.loads(sn)["signed"]["meta"]["targets.json"]["version"]
tg = get(f"{tv}.targets.json")
print(json.dumps({"timestamp": len(ts), "snapshot": [sv, len(sn)], "targets": [tv, len(tg)],
                  "count": len(json.loads(tg)["signed"]["targets"])}))
PY
}
echo "big before the uploads: $(sizes "${url[big]}")"
echo "ref before the uploads: $(sizes "${url[ref]}")"

# --- 1. Publishing one more package: big against ref, interleaved. ------------------------------
echo "== pkg upload of one more package, $rounds rounds (big: $ntargets targets; ref: empty)"
load
results="$work/uploads.jsonl"
: >"$results"
for i in $(seq "$rounds"); do
  for s in big ref; do
    t0=$(now)
    as "$s-publisher" pkg upload "$work/tufbench-$i.ngp" >/dev/null
    t1=$(now)
    echo "{\"server\": \"$s\", \"round\": $i, \"wall\": $(elapsed "$t0" "$t1"), \"sizes\": $(sizes "${url[$s]}")}" \
      >>"$results"
    tail -1 "$results"
  done
done
load
for s in big ref; do   # when each targets version's publication began (the publisher's clock)
  psql -h 127.0.0.1 -U postgres -d "${dbname[$s]}" -Atc "SELECT version,
    to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')
    FROM repo_metadata WHERE role = 'targets'" >"$work/$s-published.txt"
done
python3 - "$results" "$work/big.log" "$work/ref.log" "$work/big-published.txt" \
  "$work/ref-published.txt" <<'PY'
import json, re, statistics, sys
from datetime import datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
def phases(log, published):
    # The upload's line: 'received in A ms, verified in B ms, stored in C ms' (C includes the
    # repository's publication, which runs in the upload's request before it answers); the
    # publication's span: from its start (repo_metadata.published_at of the targets version it
    # signed) to its log line 'repository published: targets N', written after its commit.
    began = {}
    for l in open(published):
        v, t = l.strip().split("|")
        began[int(v)] = datetime.fromisoformat(t)
    out, pub = [], None
    for line in open(log):
        ts = datetime.fromisoformat(line[:23]) if re.match(r"\d{4}-\d\d-\d\dT", line) else None
        p = re.search(r"repository published: targets (\d+) \((\d+) targets\)", line)
        if p and ts is not None and int(p[1]) in began:
            pub = round((ts - began[int(p[1])]).total_seconds() * 1000)
        u = re.search(r"upload of tufbench \S+ by \S+: \d+ bytes received in (\d+) ms,"
                      r" verified in (\d+) ms, stored in (\d+) ms", line)
        if u:
            out.append({"received": int(u[1]), "verified": int(u[2]), "stored": int(u[3]),
                        "publish_ms": pub})
            pub = None
    return out
ph = {"big": phases(sys.argv[2], sys.argv[4]), "ref": phases(sys.argv[3], sys.argv[5])}
med = {}
print("| server | targets before | upload wall (median of %d) | server: received / verified /"
      " stored+published (medians, ms) | publication span (median, ms) | new N.targets.json |"
      " N.snapshot.json | timestamp.json |" % (len(rows) // 2))
print("|---|---|---|---|---|---|---|---|")
for s in ("big", "ref"):
    r = [x for x in rows if x["server"] == s]
    med[s] = statistics.median(x["wall"] for x in r)
    p = ph[s]
    def m(k):
        v = [x[k] for x in p if x.get(k) is not None]
        return round(statistics.median(v)) if v else "?"
    last = r[-1]["sizes"]
    before = r[0]["sizes"]["count"] - 1
    print(f"| {s} | {before} | {med[s]:.2f} s ({min(x['wall'] for x in r):.2f}–"
          f"{max(x['wall'] for x in r):.2f}) | {m('received')} / {m('verified')} / {m('stored')}"
          f" | {m('publish_ms')} | {last['targets'][1]:,} B (v{last['targets'][0]}, "
          f"{last['count']} targets) | {last['snapshot'][1]} B | {last['timestamp']} B |")
pairs = [b["wall"] / r["wall"] for b, r in zip([x for x in rows if x["server"] == "big"],
                                                [x for x in rows if x["server"] == "ref"])]
print(f"ratio big / ref, upload wall: medians {med['big'] / med['ref']:.2f}×; per round "
      + ", ".join(f"{p:.2f}" for p in pairs))
print("per-upload phases big:", ph["big"])
print("per-upload phases ref:", ph["ref"])
PY

# --- 2. A refresh with nothing new, through the counting proxy. ---------------------------------
cat >"$work/proxy.py" <<'PY'
# A counting reverse proxy: GET only, to one upstream; one JSON line per request to the log:
# path, status, response body bytes, response header bytes, request header bytes.
import http.server, json, sys, threading, urllib.error, urllib.request
upstream, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None
opener = urllib.request.build_opener(NoRedirect)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        req = urllib.request.Request(upstream + self.path, method="GET")
        for h in ("Authorization", "If-None-Match", "If-Modified-Since", "Range", "Accept",
                  "Accept-Encoding", "User-Agent"):
            if h in self.headers:
                req.add_header(h, self.headers[h])
        try:
            r = opener.open(req, timeout=120)
            status, headers, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("transfer-encoding", "connection", "content-length",
                                 "keep-alive", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        request_bytes = len(self.raw_requestline) + len(str(self.headers))
        with lock, open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "status": status, "body": len(body),
                                "response_headers": self.header_bytes,
                                "request_headers": request_bytes}) + "\n")
    def end_headers(self):
        self.header_bytes = sum(len(b) for b in self._headers_buffer) + 2
        super().end_headers()
    def log_message(self, *a):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
open(port_file, "w").write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/proxy.py" "${url[big]}" "$work/proxy.port" "$work/proxy.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
proxy="http://127.0.0.1:$(cat "$work/proxy.port")"
: >"$work/proxy.log"
target="tufbench-$rounds.ngp"   # a real bundle (the synthetic ones have no file)
mark() { wc -l <"$work/proxy.log"; }
counted() {   # counted LABEL FROM_LINE: the proxy's lines since FROM_LINE, as one JSON record
  python3 - "$work/proxy.log" "$2" "$1" >>"$work/refresh.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
reqs = [json.loads(l) for l in lines]
print(json.dumps({"run": sys.argv[3], "requests": reqs}))
print(sys.argv[3] + ": " + ", ".join(
    f"{q['path'].rsplit('/', 1)[1]} {q['status']} {q['body']} B" for q in reqs), file=sys.stderr)
PY
}
: >"$work/refresh.jsonl"
echo "== refresh through the counting proxy ($proxy -> ${url[big]})"
verify() {   # verify URL STATE [--root ROOT]
  "${neguard[@]}" repo verify --repo "$1/api/repo/v1" --state-dir "$2" --config "$work/anonymous" \
    "${@:3}" 2>>"$work/verify.err"; }
tufjs() { node "$root/interop/tuf-js/fetch.mjs" "$1/api/repo/v1/metadata" "$1/api/repo/v1/targets" \
  "$work/big/root.json" "$target" "$2" --keep-target; }
m=$(mark); verify "$proxy" "$work/neguard-state" --root "$work/big/root.json" >/dev/null
counted "neguard first refresh" "$m"
m=$(mark); verify "$proxy" "$work/neguard-state" >/dev/null; counted "neguard no-change refresh" "$m"
m=$(mark); tufjs "$proxy" "$work/tufjs-state" >"$work/tufjs-1.json"; counted "tuf-js first refresh + download" "$m"
m=$(mark); tufjs "$proxy" "$work/tufjs-state" >"$work/tufjs-2.json"; counted "tuf-js no-change refresh" "$m"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and r["cached"], r' \
  "$work/tufjs-2.json"
python3 - "$work/refresh.jsonl" <<'PY'
import json, sys
print("| run | requests (file, status, body bytes) | body bytes | header bytes (both ways) |")
print("|---|---|---|---|")
for l in open(sys.argv[1]):
    r = json.loads(l)
    q = r["requests"]
    files = "; ".join(f"`{x['path'].rsplit('/', 1)[1]}` {x['status']} {x['body']:,}" for x in q)
    print(f"| {r['run']} | {files} | {sum(x['body'] for x in q):,} |"
          f" {sum(x['response_headers'] + x['request_headers'] for x in q):,} |")
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "no-change" in r["run"]:
        names = sorted(x["path"].rsplit("/", 1)[1] for x in r["requests"] if x["status"] == 200)
        extra = [x for x in r["requests"] if x["status"] not in (200, 404)
                 or (x["status"] == 200 and not x["path"].endswith("/timestamp.json"))
                 or (x["status"] == 404 and not x["path"].endswith(".root.json"))]
        print(f"{r['run']}: 200s {names}; target (timestamp.json only, plus the next root's 404):"
              + (" met" if not extra and names == ["timestamp.json"] else f" NOT met: {extra}"))
PY

echo "== wall time of a no-change refresh, hyperfine, $runs runs, directly against each server"
# The same two clients against ref (5 targets) and the launcher's start alone (--version), to
# tell the size of the trusted targets from the clients' start-up.
verify "${url[ref]}" "$work/neguard-state-ref" --root "$work/ref/root.json" >/dev/null
tufjs_ref() { node "$root/interop/tuf-js/fetch.mjs" "$1/api/repo/v1/metadata" \
  "$1/api/repo/v1/targets" "$work/ref/root.json" "$target" "$2" --keep-target; }
tufjs_ref "${url[ref]}" "$work/tufjs-state-ref" >/dev/null
load
fetch_cmd() {   # fetch_cmd SERVER STATE: the tuf-js command line, no shell
  echo "node $root/interop/tuf-js/fetch.mjs ${url[$1]}/api/repo/v1/metadata" \
    "${url[$1]}/api/repo/v1/targets $work/$1/root.json $target $2 --keep-target"
}
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/hyperfine.json" \
  -n "neguard repo verify, no change, $ntargets targets" \
  "${neguard[*]} repo verify --repo ${url[big]}/api/repo/v1 --state-dir $work/neguard-state --config $work/anonymous" \
  -n "tuf-js fetch.mjs --keep-target, no change, $ntargets targets" \
  "$(fetch_cmd big "$work/tufjs-state")" \
  -n "neguard repo verify, no change, ref ($rounds targets)" \
  "${neguard[*]} repo verify --repo ${url[ref]}/api/repo/v1 --state-dir $work/neguard-state-ref --config $work/anonymous" \
  -n "tuf-js fetch.mjs --keep-target, no change, ref ($rounds targets)" \
  "$(fetch_cmd ref "$work/tufjs-state-ref")" \
  -n "neguard --version (start-up only)" "${neguard[*]} --version" \
  2>&1 | grep -v '^ *$'
load
python3 - "$work/hyperfine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print("| command | median | mean ± σ | CPU |")
print("|---|---|---|---|")
for x in r:
    print(f"| {x['command']} | {x['median']:.3f} s | {x['mean']:.3f} ± {x['stddev']:.3f} s"
          f" | {x['user']:.2f} s user, {x['system']:.2f} s sys |")
print(f"ratio NEGuard / tuf-js, no change, big (medians): {r[0]['median'] / r[1]['median']:.2f}×;"
      f" ref: {r[2]['median'] / r[3]['median']:.2f}×; NEGuard big / ref:"
      f" {r[0]['median'] / r[2]['median']:.2f}×; tuf-js big / ref:"
      f" {r[1]['median'] / r[3]['median']:.2f}×")
PY
echo "== server peak RSS (VmHWM): big $(grep VmHWM "/proc/${pid[big]}/status" | awk '{print $2, $3}')," \
  "ref $(grep VmHWM "/proc/${pid[ref]}/status" | awk '{print $2, $3}')"
