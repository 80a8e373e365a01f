#!/usr/bin/env bash
# Benchmark of the vulnerability database (issue 16, docs/BENCHMARKS.md "Vulnerability
# matching"): a synthetic OSV Debian dump of realistic size (60,000 DEBIAN-CVE records of 4,000
# source packages, linux with a quarter of them; VulnMatchBench in neguard-vuln's test sources
# generates it), imported into a database; then an NE of 2,000 installed packages with 30
# listening services matched against it, cold and warm, with the heap in use. References on
# the same data: jq reading every record of the dump (what parsing the feed costs at least),
# and dpkg --compare-versions, the reference Debian version comparison, once per (installed
# package, fixed version) pair the match has to decide.
#   bench/vuln-match.sh [WORKDIR]        # WORKDIR bench/work/vuln by default; RECORDS=60000
# Needs java, mvn (offline, to compile and print the class path), jq, unzip, dpkg.
# Times are wall and CPU: on a shared machine the thread CPU time is the honest one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/bench/work/vuln}"
records="${RECORDS:-60000}"
for tool in java mvn jq unzip dpkg; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 1; }
done
mkdir -p "$work"
cd "$root"
mvn -o -B -q test-compile dependency:build-classpath -pl neguard-vuln -am \
  -Dmdep.outputFile="$work/cp.txt" >/dev/null
cp="$root/neguard-vuln/target/classes:$root/neguard-vuln/target/test-classes:$(cat "$work/cp.txt")"
bench=(java -XX:+UseSerialGC -cp "$cp" org.neguard.vuln.VulnMatchBench)
echo "cpu: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

rm -rf "$work/db"
[ -f "$work/debian-osv.zip" ] && [ -f "$work/.records-$records" ] || {
  rm -f "$work"/.records-*
  "${bench[@]}" generate "$work" "$records" 2000
  touch "$work/.records-$records"
}
echo "feed: $(du -h "$work/debian-osv.zip" | cut -f1) zip, $records records"

echo "== import (neguard)"
/usr/bin/time -f "  process: wall %e s, CPU %U+%S s, max RSS %M KiB" "${bench[@]}" import "$work"
echo "  index: $(du -h "$work"/db/gen-*/*.idx | cut -f1)"

echo "== match (neguard): open the database, 2,000 packages + 30 services"
/usr/bin/time -f "  process: wall %e s, CPU %U+%S s, max RSS %M KiB" "${bench[@]}" match "$work" 5

echo "== reference: jq reads every record of the dump (name and fixed versions for Debian:12)"
/usr/bin/time -f "  jq: wall %e s, CPU %U+%S s, max RSS %M KiB" sh -c "unzip -p '$work/debian-osv.zip' \
  | jq -c '.affected[] | select(.package.ecosystem == \"Debian:12\") | [.package.name,
      (.ranges[].events[] | .fixed? // empty)]' > '$work/jq.out'"
echo "  $(wc -l < "$work/jq.out") affected entries"

pairs=$(wc -l < "$work/pairs.tsv")
sample=2000
echo "== reference: dpkg --compare-versions, $sample of the $pairs (installed, fixed) pairs"
head -n "$sample" "$work/pairs.tsv" > "$work/pairs-sample.tsv"
start=$(date +%s.%N)
/usr/bin/time -f "  dpkg x $sample: wall %e s, CPU %U+%S s" bash -c '
  while IFS=$(printf "\t") read -r installed fixed; do
    dpkg --compare-versions "$installed" lt "$fixed" || true
  done < "$1"' _ "$work/pairs-sample.tsv"
end=$(date +%s.%N)
python3 - "$start" "$end" "$sample" "$pairs" <<'PY'
import sys
start, end, sample, pairs = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = (end - start) / sample
print(f"  {per * 1000:.2f} ms per comparison: all {pairs} pairs would take {per * pairs:.1f} s wall")
PY
