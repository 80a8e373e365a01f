# Sourced by bench/verify-vs-openssl.sh and bench/upload-vs-verify.sh: the 1 GiB test bundle both
# time, made once per work directory. The caller sets root, work and neguard (an array: the
# command, e.g. (./neguard)); this file sets payload, bundle and pki.

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
# neguard-av's test classes, with the CLI's jars), then sign.
scan_and_sign() {
  local unsigned="$1" signed="$2" ready="$work/bench-clamd.ready"
  (cd "$root" && mvn -B -q -o test-compile -pl neguard-av -am)
  rm -rf "$ready" "$work/bench-clamd"
  java -cp "$root/neguard-av/target/test-classes:$root/neguard-cli/target/lib/*" \
    org.neguard.av.ClamdBenchRunner clamd "$work/bench-clamd" "$ready" &
  local runner=$!
  # shellcheck disable=SC2064
  trap "kill $runner 2>/dev/null || true" EXIT   # also when the scan or the signing fails
  for _ in $(seq 1 600); do [ -f "$ready" ] && break; sleep 0.1; done
  [ -f "$ready" ] || { echo "the demo clamd did not come up" >&2; exit 1; }
  # The demo clamd allows 400 MiB per file (the tree has 128 MiB files); the engine is told so.
  "${neguard[@]}" pkg scan "$unsigned" \
    --engine "$(sed -n 2p "$ready")?maxFileSize=400M&streamMaxLength=400M" \
    --note "demo signature database (benchmark)" >/dev/null
  kill "$runner"; wait "$runner" 2>/dev/null || true
  trap - EXIT
  "${neguard[@]}" pkg sign "$unsigned" --key "$pki/vendor.key" --cert "$pki/vendor.pem" \
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
  "${neguard[@]}" pki demo --out "$pki" >/dev/null
  "${neguard[@]}" pkg build --name bench --version 1 --security-version 1 --ne-type mme \
    --vendor Bench --from "$payload" --out "$bundle.unsigned" --force >/dev/null
  scan_and_sign "$bundle.unsigned" "$bundle"
fi
