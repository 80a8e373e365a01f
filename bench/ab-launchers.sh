#!/usr/bin/env bash
# A/B benchmark: two NEGuard checkouts' launchers on the same inputs, in the same run, each with
# its reference tool (docs/BENCHMARKS.md): 'pkg verify' of the 1 GiB bench bundle against
# 'openssl dgst -sha256' over its payload, and 'pkg scan' of a 64 MiB bundle against
# 'clamdscan --stream' over the same files, all through one demo clamd. For "a change must not
# make it slower": build the older checkout once (mvn -o -q package -DskipTests in it), then
#   bench/ab-launchers.sh OLD_CHECKOUT [WORKDIR]     # RUNS=10 by default; WORKDIR bench/work
# Needs hyperfine, openssl and clamav-daemon/clamav/clamdscan.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bench/ab-launchers.sh OLD_CHECKOUT [WORKDIR]" >&2; exit 2; }
old="$(cd "$1" && pwd)"
work="${2:-$root/bench/work}"
runs="${RUNS:-10}"
neguard=("$root/neguard")
mkdir -p "$work"
for tool in hyperfine openssl clamdscan java mvn python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done
[ -x "$old/neguard" ] || { echo "not a NEGuard checkout: $old" >&2; exit 2; }

# shellcheck source=bench/bench-bundle.sh
source "$root/bench/bench-bundle.sh"
# Each launcher builds (when stale) and trains its class-data archive on its first call: untimed.
"$old/neguard" --version >/dev/null
"$root/neguard" --version >/dev/null
echo "old: $(git -C "$old" log -1 --format='%h %s' 2>/dev/null || echo "$old")"
echo "new: $(git -C "$root" log -1 --format='%h %s')"
echo "cpu: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

ratios() {  # hyperfine JSON -> medians and each command's median against the first one's
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]
for x in r:
    print(f"  {x['command']:<10} median {x['median']:.3f} s  user {x['user']:.2f} s"
          f"  {x['median'] / base['median']:.2f}x of {base['command']}")
PY
}

cat "$bundle" >/dev/null
find "$payload" -type f -print0 | xargs -0 cat >/dev/null
hyperfine --warmup 2 --runs "$runs" --export-json "$work/ab-verify.json" \
  -n old "$old/neguard pkg verify $bundle --trust $pki/ca.pem" \
  -n new "$root/neguard pkg verify $bundle --trust $pki/ca.pem" \
  -n openssl "find $payload -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null"
echo "== pkg verify, 1 GiB bundle"
ratios "$work/ab-verify.json"

# 64 files of 1 MiB, random; one unsigned bundle of them, scanned by both launchers.
small="$work/ab-scan-payload"
if [ ! -f "$small.done" ]; then
  rm -rf "$small" && mkdir -p "$small"
  head -c $((64 << 20)) /dev/urandom | split -b 1M -a 3 -d - "$small/f"
  touch "$small.done"
fi
unsigned="$work/ab-scan.ngp"
rm -f "$unsigned"
"$root/neguard" pkg build --name ab --version 1 --security-version 1 --ne-type mme --vendor Bench \
  --from "$small" --out "$unsigned" >/dev/null
ready="$work/ab-clamd.ready"
rm -rf "$ready" "$work/ab-clamd"
java -cp "$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*" \
  org.neguard.av.ClamdBenchRunner clamd "$work/ab-clamd" "$ready" &
runner=$!
trap 'kill "$runner" 2>/dev/null; wait "$runner" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do [ -f "$ready" ] && break; sleep 0.1; done
[ -f "$ready" ] || { echo "the demo clamd did not come up" >&2; exit 1; }
engine="$(sed -n 2p "$ready")"
conf="$(sed -n 3p "$ready")"
find "$small" -type f -print0 | xargs -0 cat >/dev/null
hyperfine --warmup 1 --runs "$runs" --export-json "$work/ab-scan.json" \
  --prepare "rm -f $work/ab-out-old.ngp $work/ab-out-new.ngp" \
  -n old "$old/neguard pkg scan $unsigned --engine $engine --out $work/ab-out-old.ngp" \
  -n new "$root/neguard pkg scan $unsigned --engine $engine --out $work/ab-out-new.ngp" \
  -n clamdscan "clamdscan --config-file=$conf --stream $small"
echo "== pkg scan, 64 MiB bundle, one demo clamd (unix socket)"
ratios "$work/ab-scan.json"
echo "== pkg verify, 1 GiB bundle"
ratios "$work/ab-verify.json"
