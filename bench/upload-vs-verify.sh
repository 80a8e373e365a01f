#!/usr/bin/env bash
# Benchmark: 'neguard pkg upload' of a 1 GiB bundle to a server on loopback (stream + full
# verification by the server + store) against 'neguard pkg verify' of the same file, in the same
# run; and the server's peak RSS (docs/BENCHMARKS.md). Needs hyperfine: apt-get install hyperfine
# Usage: bench/upload-vs-verify.sh [WORKDIR]   (default: bench/work; about 4.5 GiB free)
# NEGUARD may name the command to run (default: the ./neguard launcher), e.g.
#   NEGUARD="java -cp neguard-cli/target/neguard-cli.jar:neguard-cli/target/lib/* org.neguard.cli.Main"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}"
read -r -a neguard <<<"${NEGUARD:-$root/neguard}"
mkdir -p "$work"
command -v hyperfine >/dev/null 2>&1 || { echo "missing hyperfine: apt-get install hyperfine" >&2; exit 1; }

# The same 1 GiB, 4718-file bundle as bench/verify-vs-openssl.sh (made here if missing).
# shellcheck source=bench/bench-bundle.sh
source "$root/bench/bench-bundle.sh"
echo "bundle: $(stat -c %s "$bundle") bytes; cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -version 2>&1 | head -1

# A fresh server on a free loopback port; its peak RSS is read from /proc (VmHWM) at the end
# (the launcher execs java, so the background PID is the server's JVM).
server="$work/server"
rm -rf "$server" "$work/client"
mkdir -p "$server"
head -c 18 /dev/urandom | base64 >"$work/admin-password"
head -c 18 /dev/urandom | base64 >"$work/publisher-password"
exec_server() { exec "${neguard[@]}" "$@"; }
exec_server server --data "$server/data" \
  --port 0 --trust "$pki/ca.pem" --admin-password-file "$work/admin-password" --json \
  >"$server/out.json" 2>"$server/log.txt" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  grep -q '"url"' "$server/out.json" 2>/dev/null && break
  sleep 1
done
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$server/out.json")"
echo "server: $url"
cfg=(--config "$work/client")
"${neguard[@]}" login --server "$url" --user admin --password-file "$work/admin-password" "${cfg[@]}" >/dev/null
"${neguard[@]}" user add bench-publisher --role publisher --password-file "$work/publisher-password" "${cfg[@]}" >/dev/null
"${neguard[@]}" login --server "$url" --user bench-publisher --password-file "$work/publisher-password" "${cfg[@]}" >/dev/null

cat "$bundle" >/dev/null   # page cache warm for both
upload_cmd="${neguard[*]} pkg upload $bundle ${cfg[*]}"
verify_cmd="${neguard[*]} pkg verify $bundle --trust $pki/ca.pem"
$upload_cmd >/dev/null   # the first upload stores it; later ones verify in full, then find it stored
$verify_cmd >/dev/null

hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$work/hyperfine-upload.json" \
  -n "neguard pkg upload" "$upload_cmd" \
  -n "neguard pkg verify" "$verify_cmd"

python3 - "$work/hyperfine-upload.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
u, v = r["neguard pkg upload"], r["neguard pkg verify"]
print(f"upload median {u['median']:.3f} s, verify median {v['median']:.3f} s")
print(f"throughput ratio upload+verify / pkg verify = {v['median'] / u['median']:.2f}x (>= 0.8 meets the target)")
PY

echo "== server peak RSS over the whole run (VmHWM)"
grep VmHWM "/proc/$server_pid/status"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
trap - EXIT
