#!/usr/bin/env bash
# Benchmark (issue 15): evidence verifications per second per core, software keys (target >=
# 5,000). EvidenceVerifier.verify, one thread, of realistic evidence (a package component of 200
# files and two platform components of 20, ES256 by a P-256 device key; a runtime attestation of
# an unchanged NE, its components by their digests, and the same with every file; EvidenceBenchRunner in
# neguard-pkg's test classes: the project has no JMH module, this follows ClamdBenchRunner), and
# the reference in the same run: `openssl speed -seconds 3 ecdsap256`, its verify/s, before and
# after the Java run. Both are per CPU-second (openssl speed divides by its user CPU time, the
# runner by its thread's CPU time): the machine is shared, wall time would count the others'.
# Usage: bench/evidence-verify.sh   SECONDS_MEASURED (default 10) measured iterations after WARMUP
# (default 10). CLASSES_BEFORE may name a class directory put first on the class path (an A/B
# against older classes of the verifier; classes before 2026-12-06 lack Evidence.withoutFilesWhere
# and Es256.Implementation, which the runner calls: run the older commit's own runner instead). JAVA names the java to run, or several separated by
# spaces, run one after the other between the two openssl runs (default: java on PATH), e.g.
# JAVA="java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java": JDK 17 and the JDK 25 the launcher
# prefers, in the same run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${SECONDS_MEASURED:-10}"
read -r -a javas <<<"${JAVA:-java}"
warmup="${WARMUP:-10}"
command -v openssl >/dev/null 2>&1 || { echo "missing openssl: apt-get install openssl" >&2; exit 1; }
[ -d "$root/neguard-cli/target/lib" ] ||
  { echo "build first: mvn -o -B -q package -pl neguard-cli -am -DskipTests" >&2; exit 1; }
if ! log="$(cd "$root" && mvn -o -B -q test-compile -pl neguard-pkg -am 2>&1)"; then
  printf '%s\n' "$log" >&2
  exit 1
fi
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: other builds run beside)"
ossl() { openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print $NF}'; }
before=$(ossl)
echo "openssl speed ecdsap256 verify/s (before): $before"
cp="${CLASSES_BEFORE:+$CLASSES_BEFORE:}$root/neguard-pkg/target/test-classes:$root/neguard-pkg/target/classes:$root/neguard-common/target/classes:$root/neguard-cli/target/lib/*"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for k in "${!javas[@]}"; do
  "${javas[$k]}" -version 2>&1 | head -1
  "${javas[$k]}" -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED -cp "$cp" \
    org.neguard.attest.EvidenceBenchRunner "$seconds" \
    "$warmup" | tee "$out/$k" | grep -v 'iteration [0-9]'
done
after=$(ossl)
echo "openssl speed ecdsap256 verify/s (after): $after"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for k in "${!javas[@]}"; do
  python3 - "$out/$k" "$before" "$after" "${javas[$k]}" <<'PY'
import re, sys
line = [l for l in open(sys.argv[1]) if l.startswith("RESULT")][0]
r = dict(kv.split("=") for kv in line.split()[1:])
full = float(r["verify_per_cpu_s"])
v = float(r["runtime_verify_per_cpu_s"])
ossl = (float(sys.argv[2]) + float(sys.argv[3])) / 2
verdict = lambda x: "met" if x >= 5000 else "NOT met"
print(f"{sys.argv[4]}: EvidenceVerifier.verify per core (target >= 5,000): a runtime"
      f" attestation of an unchanged NE {v:.0f}/s ({verdict(v)}, {v / ossl:.3f}x openssl);"
      f" evidence of every file {full:.0f}/s ({verdict(full)}, {full / ossl:.3f}x openssl);"
      f" openssl ECDSA P-256 verify {ossl:.0f}/s; signature alone (Es256 as the verifier runs"
      f" it) {float(r['es256_only_per_cpu_s']) / ossl:.3f}x openssl, on Bouncy Castle"
      f" {float(r['bc_only_per_cpu_s']) / ossl:.3f}x, the JDK's own (SunEC)"
      f" {float(r['jdk_ecdsa_only_per_cpu_s']) / ossl:.3f}x")
PY
done
