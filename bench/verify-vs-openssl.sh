#!/usr/bin/env bash
# Benchmark: 'neguard pkg verify' of a 1 GiB bundle against 'openssl dgst -sha256' over the same
# payload bytes, in the same run (docs/BENCHMARKS.md). Needs hyperfine and GNU time:
#   apt-get install hyperfine time
# Usage: bench/verify-vs-openssl.sh [WORKDIR]   (default: bench/work; needs about 2.2 GiB free)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}"
neguard=("$root/neguard")
mkdir -p "$work"

for tool in hyperfine /usr/bin/time openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool: apt-get install hyperfine time openssl" >&2; exit 1; }
done

# shellcheck source=bench/bench-bundle.sh
source "$root/bench/bench-bundle.sh"
echo "payload: $(du -sb "$payload" | cut -f1) bytes in $(find "$payload" -type f | wc -l) files;" \
     "bundle: $(stat -c %s "$bundle") bytes"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -version 2>&1 | head -1
openssl version

# Both read from the page cache: warm it, so the disk is measured by neither.
cat "$bundle" >/dev/null
find "$payload" -type f -print0 | xargs -0 cat >/dev/null

verify_cmd="${neguard[*]} pkg verify $bundle --trust $pki/ca.pem"
openssl_cmd="find $payload -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null"
$verify_cmd >/dev/null   # fails loudly if the bundle does not verify

hyperfine --warmup 2 --runs "${RUNS:-10}" --export-json "$work/hyperfine.json" \
  -n "neguard pkg verify" "$verify_cmd" \
  -n "openssl dgst -sha256" "$openssl_cmd"

python3 - "$work/hyperfine.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
v, o = r["neguard pkg verify"], r["openssl dgst -sha256"]
print(f"verify median {v['median']:.3f} s, openssl median {o['median']:.3f} s")
print(f"throughput ratio verify/openssl = {o['median'] / v['median']:.2f}x (>= 1.0 meets the target)")
PY

echo "== peak RSS (GNU time -v), 1 GiB bundle"
/usr/bin/time -v $verify_cmd 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"

# A bundle 16x smaller, to show peak memory does not grow with the bundle.
small="$work/small.ngp"
if [ ! -f "$small" ]; then
  mkdir -p "$work/small-payload"
  head -c $((64 << 20)) /dev/urandom | split -b $((1 << 20)) -a 3 -d - "$work/small-payload/f"
  "${neguard[@]}" pkg build --name small --version 1 --security-version 1 --ne-type mme \
    --vendor Bench --from "$work/small-payload" --out "$small.unsigned" --force >/dev/null
  scan_and_sign "$small.unsigned" "$small"
fi
echo "== peak RSS (GNU time -v), 64 MiB bundle"
/usr/bin/time -v "${neguard[@]}" pkg verify "$small" --trust "$pki/ca.pem" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"

# The live set is the manifest plus one buffer per thread: a small heap cap shows it, both sizes.
echo "== peak RSS with NEGUARD_JAVA_OPTS=-Xmx64m, 1 GiB and 64 MiB bundles"
NEGUARD_JAVA_OPTS=-Xmx64m /usr/bin/time -v $verify_cmd 2>&1 >/dev/null | grep -E "Maximum resident"
NEGUARD_JAVA_OPTS=-Xmx64m /usr/bin/time -v "${neguard[@]}" pkg verify "$small" --trust "$pki/ca.pem" 2>&1 >/dev/null | grep -E "Maximum resident"
