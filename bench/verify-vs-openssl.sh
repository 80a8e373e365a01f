#!/usr/bin/env bash
# Benchmark: 'neguard pkg verify' of a 1 GiB bundle against 'openssl dgst -sha256' over the same
# payload bytes, in the same run (docs/BENCHMARKS.md). Needs hyperfine and GNU time:
#   apt-get install hyperfine time
# Usage: bench/verify-vs-openssl.sh [WORKDIR]   (default: bench/work; needs about 2.2 GiB free)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work}"
neguard="$root/neguard"
mkdir -p "$work"

for tool in hyperfine /usr/bin/time openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool: apt-get install hyperfine time openssl" >&2; exit 1; }
done

# Mixed file sizes, 1 GiB in all, random (incompressible) content:
#   2 x 128 MiB, 12 x 32 MiB, 96 x 2 MiB, 512 x 256 KiB, 4096 x 16 KiB  = 1024 MiB in 4718 files
make_tree() {
  local dir="$1"
  mkdir -p "$dir"
  local spec=("2 128M big" "12 32M large" "96 2M medium" "512 256K small" "4096 16K tiny")
  for s in "${spec[@]}"; do
    read -r count size name <<<"$s"
    mkdir -p "$dir/$name"
    local bytes; bytes=$(numfmt --from=iec "$size")
    # One random stream cut into files: fast, and no two files alike.
    head -c $((count * bytes)) /dev/urandom | split -b "$bytes" -a 4 -d - "$dir/$name/f"
  done
}

# 'pkg sign' signs scanned packages only (AV-2): scan with a demo clamd (ClamdBenchRunner, from
# neguard-core's test classes), then sign.
scan_and_sign() {
  local unsigned="$1" signed="$2" ready="$work/verify-clamd.ready"
  (cd "$root" && mvn -B -q -o test-compile -pl neguard-core)
  rm -rf "$ready" "$work/verify-clamd"
  java -cp "$root/neguard-core/target/classes:$root/neguard-core/target/test-classes" \
    org.neguard.scan.ClamdBenchRunner clamd "$work/verify-clamd" "$ready" &
  local runner=$!
  # shellcheck disable=SC2064
  trap "kill $runner 2>/dev/null || true" EXIT   # also when the scan or the signing fails
  for _ in $(seq 1 600); do [ -f "$ready" ] && break; sleep 0.1; done
  [ -f "$ready" ] || { echo "the demo clamd did not come up" >&2; exit 1; }
  # The demo clamd allows 400 MiB per file (the tree has 128 MiB files); the engine is told so.
  "$neguard" pkg scan "$unsigned" --engine "$(sed -n 2p "$ready")?maxFileSize=400M&streamMaxLength=400M" \
    --note "demo signature database (benchmark)" >/dev/null
  kill "$runner"; wait "$runner" 2>/dev/null || true
  trap - EXIT
  "$neguard" pkg sign "$unsigned" --key "$pki/vendor.key" --cert "$pki/vendor.pem" \
    --out "$signed" >/dev/null
  rm -f "$unsigned"
}

payload="$work/payload"
bundle="$work/bench.ngp"
pki="$work/pki"
if [ ! -f "$bundle" ]; then
  echo "== making a 1 GiB tree and bundle in $work"
  rm -rf "$payload" "$pki"
  make_tree "$payload"
  "$neguard" pki demo --out "$pki" >/dev/null
  "$neguard" pkg build --name bench --version 1 --security-version 1 --ne-type mme \
    --vendor Bench --from "$payload" --out "$bundle.unsigned" --force >/dev/null
  scan_and_sign "$bundle.unsigned" "$bundle"
fi
echo "payload: $(du -sb "$payload" | cut -f1) bytes in $(find "$payload" -type f | wc -l) files;" \
     "bundle: $(stat -c %s "$bundle") bytes"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -version 2>&1 | head -1
openssl version

# Both read from the page cache: warm it, so the disk is measured by neither.
cat "$bundle" >/dev/null
find "$payload" -type f -print0 | xargs -0 cat >/dev/null

verify_cmd="$neguard pkg verify $bundle --trust $pki/ca.pem"
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
  "$neguard" pkg build --name small --version 1 --security-version 1 --ne-type mme \
    --vendor Bench --from "$work/small-payload" --out "$small.unsigned" --force >/dev/null
  scan_and_sign "$small.unsigned" "$small"
fi
echo "== peak RSS (GNU time -v), 64 MiB bundle"
/usr/bin/time -v "$neguard" pkg verify "$small" --trust "$pki/ca.pem" 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"

# The live set is the manifest plus one buffer per thread: a small heap cap shows it, both sizes.
echo "== peak RSS with NEGUARD_JAVA_OPTS=-Xmx64m, 1 GiB and 64 MiB bundles"
NEGUARD_JAVA_OPTS=-Xmx64m /usr/bin/time -v $verify_cmd 2>&1 >/dev/null | grep -E "Maximum resident"
NEGUARD_JAVA_OPTS=-Xmx64m /usr/bin/time -v "$neguard" pkg verify "$small" --trust "$pki/ca.pem" 2>&1 >/dev/null | grep -E "Maximum resident"
