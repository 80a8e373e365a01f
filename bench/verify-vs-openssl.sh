#!/usr/bin/env bash
# Benchmark: 'neguard pkg verify' of a 1 GiB bundle against 'openssl dgst -sha256' over the same
# payload bytes, in the same run (docs/BENCHMARKS.md). Needs hyperfine and GNU time:
#   apt-get install hyperfine time
# Usage: bench/verify-vs-openssl.sh [WORKDIR]   (default: bench/work; needs about 2.2 GiB free)
# RUNS (default 10) runs each; where the launcher picks a JDK 25 or newer (AOT cache), the same
# launcher on the default JDK with class-data sharing (NEGUARD_AOT=0) is timed beside it, with a
# start-up block (--version and a one-file bundle) and ROUNDS (default 6) interleaved rounds.
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
echo "commit: $(git -C "$root" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
java -version 2>&1 | head -1
openssl version
# The JDK and cache the launcher picks (its first call builds and trains: untimed), and the same
# launcher held to the default JDK and class-data sharing.
picked="$(NEGUARD_LAUNCHER_DEBUG=1 "${neguard[@]}" --version 2>&1 >/dev/null | grep '^neguard: java')"
echo "launcher: ${picked#neguard: }"
variants=("neguard|")
case "$picked" in
  *"cache: aot "*)
    held="$(NEGUARD_AOT=0 NEGUARD_LAUNCHER_DEBUG=1 "${neguard[@]}" --version 2>&1 >/dev/null |
      grep '^neguard: java')"
    echo "NEGUARD_AOT=0: ${held#neguard: }"
    variants=("JDK 25+ AOT|" "default JDK CDS|NEGUARD_AOT=0 ")
    ;;
esac
echo "load before: $(uptime)"

# Both read from the page cache: warm it, so the disk is measured by neither.
cat "$bundle" >/dev/null
find "$payload" -type f -print0 | xargs -0 cat >/dev/null

verify_cmd="${neguard[*]} pkg verify $bundle --trust $pki/ca.pem"
openssl_cmd="find $payload -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null"
$verify_cmd >/dev/null   # fails loudly if the bundle does not verify

ratios() {  # hyperfine JSON: each command's median, and openssl's throughput against it
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
o = next((x for x in r if x["command"] == "openssl dgst -sha256"), None)
for x in r:
    line = f"  {x['command']:<40} median {x['median']:.3f} s  user {x['user']:.2f} s  sys {x['system']:.2f} s"
    if o is not None and x is not o:
        line += f"  throughput {o['median'] / x['median']:.2f}x of openssl (>= 1.0 meets the target)"
    print(line)
PY
}
hf=(-n "openssl dgst -sha256" "$openssl_cmd")
for v in "${variants[@]}"; do hf+=(-n "pkg verify, ${v%%|*}" "${v#*|}$verify_cmd"); done
hyperfine --warmup "${WARMUP:-2}" --runs "${RUNS:-10}" --export-json "$work/hyperfine.json" "${hf[@]}"
ratios "$work/hyperfine.json"

if [ "${#variants[@]}" -gt 1 ]; then
  # Start-up alone: --version, and 'pkg verify' of a one-file bundle (16 KiB).
  tiny="$work/tiny.ngp"
  if [ ! -f "$tiny" ]; then
    mkdir -p "$work/tiny-payload"
    head -c 16384 /dev/urandom >"$work/tiny-payload/f"
    "${neguard[@]}" pkg build --name tiny --version 1 --security-version 1 --ne-type mme \
      --vendor Bench --from "$work/tiny-payload" --out "$tiny.unsigned" --force >/dev/null
    scan_and_sign "$tiny.unsigned" "$tiny"
  fi
  for what in "neguard --version|--version" "pkg verify 16 KiB|pkg verify $tiny --trust $pki/ca.pem"; do
    hf=()
    for v in "${variants[@]}"; do
      hf+=(-n "${what%%|*}, ${v%%|*}" "${v#*|}${neguard[*]} ${what#*|}")
    done
    hyperfine --warmup 1 --runs "${STARTUP_RUNS:-10}" --export-json "$work/startup.json" \
      "${hf[@]}" >/dev/null
    ratios "$work/startup.json"
  done
  # Interleaved rounds (one of each per round): a block of runs after another block measures the
  # machine's load as much as the command on a shared machine.
  echo "== ${ROUNDS:-6} interleaved rounds, 1 GiB: wall, user, sys seconds (medians)"
  : >"$work/rounds.txt"
  for _ in $(seq "${ROUNDS:-6}"); do
    /usr/bin/time -f "openssl %e %U %S" -a -o "$work/rounds.txt" sh -c "$openssl_cmd"
    for i in "${!variants[@]}"; do
      # shellcheck disable=SC2086
      env ${variants[$i]#*|} /usr/bin/time -f "variant$i %e %U %S" -a -o "$work/rounds.txt" \
        $verify_cmd >/dev/null
    done
  done
  python3 - "$work/rounds.txt" "${variants[@]}" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    rows.setdefault(k, []).append([float(x) for x in v])
names = {"openssl": "openssl dgst -sha256"}
names.update({f"variant{i}": "pkg verify, " + v.split("|")[0] for i, v in enumerate(sys.argv[2:])})
o = statistics.median(r[0] for r in rows["openssl"])
for k, rs in rows.items():
    wall = statistics.median(r[0] for r in rs)
    user = statistics.median(r[1] for r in rs)
    sys_ = statistics.median(r[2] for r in rs)
    extra = "" if k == "openssl" else f"  throughput {o / wall:.2f}x of openssl"
    print(f"  {names[k]:<40} wall {wall:.3f} s  user {user:.2f} s  sys {sys_:.2f} s{extra}")
PY
fi
echo "load after: $(uptime)"

for v in "${variants[@]}"; do
  echo "== peak RSS (GNU time -v), 1 GiB bundle, ${v%%|*}"
  # shellcheck disable=SC2086
  env ${v#*|} /usr/bin/time -v $verify_cmd 2>&1 >/dev/null | grep -E "Maximum resident|Elapsed"
done

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
