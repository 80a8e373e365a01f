#!/usr/bin/env bash
# Benchmark (issue 15): measuring a SIZE_MIB (default 1024) MiB installed tree, `neguard agent
# measure` (TreeMeasurer: every file's SHA-256 and mode, the tree digest, the platform TIM)
# against `find TREE -type f -print0 | xargs -0 sha256sum` over the same files (target: <= 1.0x
# sha256sum's time). The tree is a platform component of the agent's configuration
# (measure.paths=bench=TREE; no package installed), so the command measures exactly it.
# The tree, random bytes (a realistic mix): 60 % in 6 large files, 30 % in 300 medium ones in 10
# directories, 10 % in 20,000 small ones (about 5 KiB each) in 100 directories.
# Page cache warm for both (hyperfine --warmup), RUNS runs each, interleaved by hyperfine's order;
# the JVM's start-up is inside the neguard time (it is what an operator waits for).
# Needs hyperfine, sha256sum, python3. Usage: bench/measure-tree.sh [WORKDIR] (default: a temp
# dir under bench/work). SIZE_MIB (default 1024), RUNS (default 5); NEGUARD may name the command
# (default: java with the agent's JVM options on neguard-cli/target/neguard-cli.jar, built by
# `mvn -o -B -q package -pl neguard-cli -am -DskipTests`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "${1:-$root/bench/work}"
work="$(mktemp -d "${1:-$root/bench/work}/measure-tree.XXXXXX")"
trap 'rm -rf "$work"' EXIT
size_mib="${SIZE_MIB:-1024}"
runs="${RUNS:-5}"
for c in hyperfine sha256sum python3; do
  command -v "$c" >/dev/null 2>&1 || { echo "missing $c: apt-get install $c" >&2; exit 1; }
done
jar="$root/neguard-cli/target/neguard-cli.jar"
if [ -n "${NEGUARD:-}" ]; then
  neguard="$NEGUARD"
else
  [ -f "$jar" ] || { echo "build the CLI first: mvn -o -B -q package -pl neguard-cli -am -DskipTests" >&2; exit 1; }
  # What ./neguard runs for 'neguard agent ...' (the agent's options, C2 for the digest loops),
  # without its build-if-changed step.
  opts="$(grep -v '^[[:space:]]*#' "$root/neguard-cli/src/main/resources/org/neguard/cli/agent/jvm.options" | tr '\n' ' ')"
  neguard="java -XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -XX:CompilerDirectivesFile=$root/neguard-cli/src/main/jvm/compiler-directives.json $opts -jar $jar"
fi
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other builds run beside)"
java -version 2>&1 | head -1
sha256sum --version | head -1
echo "neguard command: $neguard"

# --- The tree. ---------------------------------------------------------------------------------
tree="$work/tree"
total=$((size_mib * 1048576))
mkdir -p "$tree/large"
bytes=$((total * 60 / 100 / 6))
head -c $((6 * bytes)) /dev/urandom | split -b "$bytes" -a 2 -d - "$tree/large/blob-"
for d in $(seq -w 0 9); do
  mkdir -p "$tree/medium/d$d"
  bytes=$((total * 30 / 100 / 300))
  head -c $((30 * bytes)) /dev/urandom | split -b "$bytes" -a 2 -d - "$tree/medium/d$d/lib-"
done
bytes=$((total * 10 / 100 / 20000))
for d in $(seq -w 0 99); do
  mkdir -p "$tree/small/d$d"
  head -c $((200 * bytes)) /dev/urandom | split -b "$bytes" -a 3 -d - "$tree/small/d$d/f-"
done
chmod 0755 "$tree"/large/blob-0*
files=$(find "$tree" -type f | wc -l)
tree_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
echo "tree: $files files, $tree_bytes bytes ($((tree_bytes / 1048576)) MiB)"

# --- The agent's configuration: the tree is its one component, platform:bench. ------------------
mkdir -p "$work/ne/state" "$work/ne/install" "$work/ne/tuf"
cat >"$work/ne/agent.properties" <<EOF
server.url=https://127.0.0.1:1
trust.anchors=anchor.pem
state.dir=state
install.root=install
tuf.root=tuf
ne.type=bench
device.id=ne-bench
measure.paths=bench=$tree
EOF
measure_cmd="$neguard agent measure --config $work/ne/agent.properties"
sha_cmd="find $tree -type f -print0 | xargs -0 sha256sum >/dev/null"
$measure_cmd --json >"$work/measure.json"   # fails loudly if it does not measure
python3 - "$work/measure.json" "$files" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["details"]["components"] if "details" in d else d["components"]
assert len(c) == 1 and c[0]["files"] == int(sys.argv[2]), c
print(f"neguard agent measure: {c[0]['name']} {c[0]['digest']} ({c[0]['files']} files), TIM {d.get('details', d)['tim']}")
PY

hyperfine --warmup 2 --runs "$runs" --export-json "$work/hyperfine.json" \
  -n "neguard agent measure" "$measure_cmd >/dev/null" \
  -n "sha256sum" "$sha_cmd"

python3 - "$work/hyperfine.json" "$tree_bytes" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
n, s = r["neguard agent measure"], r["sha256sum"]
mib = int(sys.argv[2]) / 1048576
print(f"neguard agent measure: median {n['median']:.3f} s ({mib / n['median']:.0f} MiB/s),"
      f" user+sys {n['user'] + n['system']:.2f} s")
print(f"sha256sum:             median {s['median']:.3f} s ({mib / s['median']:.0f} MiB/s),"
      f" user+sys {s['user'] + s['system']:.2f} s")
ratio = n["median"] / s["median"]
print(f"ratio neguard/sha256sum (wall time, medians) = {ratio:.2f}x"
      f" (target <= 1.0x: {'met' if ratio <= 1.0 else 'NOT met'})")
print(f"ratio of CPU time (user+sys, means) = {(n['user'] + n['system']) / (s['user'] + s['system']):.2f}x")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
