# Sourced by the clamd benchmarks (bench/scan-vs-clamdscan.sh, bench/pkg-scan-ab.sh).
# make_tree DIR: the 200 MiB tree of random (incompressible) files of mixed sizes in DIR/payload,
#   2 x 32 MiB, 8 x 8 MiB, 64 x 512 KiB, 1024 x 32 KiB, 2048 x 4 KiB = 200 MiB in 3146 files,
#   made once (DIR/payload.done).
make_tree() {
  local tree="$1/payload" s count size name bytes
  [ -f "$1/payload.done" ] && return 0
  echo "== making a 200 MiB tree in $tree"
  rm -rf "$tree"
  for s in "2 32M huge" "8 8M large" "64 512K medium" "1024 32K small" "2048 4K tiny"; do
    read -r count size name <<<"$s"
    mkdir -p "$tree/$name"
    bytes=$(numfmt --from=iec "$size")
    head -c $((count * bytes)) /dev/urandom | split -b "$bytes" -a 4 -d - "$tree/$name/f"
  done
  touch "$1/payload.done"
}

# start_demo_clamd DIR CLASSPATH: a DemoClamd in DIR/clamd through ClamdBenchRunner, stopped
#   (by its runner's PID) when the calling script exits; sets tcp_spec, unix_spec, conf and
#   clamd_pid from the runner's READY file.
start_demo_clamd() {
  local ready="$1/clamd.ready"
  rm -f "$ready"
  rm -rf "$1/clamd"
  java -cp "$2" org.neguard.av.ClamdBenchRunner clamd "$1/clamd" "$ready" &
  clamd_runner=$!
  trap 'kill "$clamd_runner" 2>/dev/null; wait "$clamd_runner" 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do [ -f "$ready" ] && break; sleep 0.1; done
  [ -f "$ready" ] || { echo "DemoClamd did not come up" >&2; exit 1; }
  tcp_spec=$(sed -n 1p "$ready"); unix_spec=$(sed -n 2p "$ready"); conf=$(sed -n 3p "$ready")
  clamd_pid=$(sed -n 4p "$ready")
}
