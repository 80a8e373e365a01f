#!/usr/bin/env bash
# Benchmark (issue 14, tpm.deviceKey): the cost of a TPM-held device key per mutual-TLS
# handshake. TpmHandshakeBench (neguard-agent test sources) starts swtpm and a TLS 1.3 server on
# loopback that requires a client certificate, then times RUNS (default 200) full handshakes
# plus one small request, each on a new DeviceClient (nothing to resume), with a file key and
# with the TPM key, and tpm2_sign alone. Needs swtpm and tpm2-tools.
# Usage: bench/agent-tpm-handshake.sh   (RUNS=N to change the count)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$root" rev-parse --short HEAD)"
echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load average: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine)"
swtpm --version | head -1
cd "$root"
mvn -o -B -q test -pl neguard-agent -am -Dtest=TpmHandshakeBench \
  -Dsurefire.failIfNoSpecifiedTests=false -Druns="${RUNS:-200}" \
  -Dsurefire.useFile=false 2>&1 | grep -E '^(runs|handshake|tpm2_sign)'
