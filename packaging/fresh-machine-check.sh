#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12 machine (issue 17): builds a minimal bookworm
# root with debootstrap (only openjdk-17-jdk-headless and maven added), copies a clean copy of it
# for each check, puts this repository's committed tree (git archive HEAD) in it, and runs in a
# chroot (as root: the network namespace tests need CAP_NET_ADMIN):
#   1. ./neguard quickstart          from the clean root: it installs ClamAV itself;
#   2. ./neguard quickstart          again: nothing to install (idempotent);
#   3. .ci/run [MAVEN-ARGS]          the test command, with its own set-up; skipped with --no-tests.
# Node.js and npm come from Debian too (.ci/run installs them: tuf-js 3.1.0 runs on Debian 12's 18).
# Maven's downloads: this machine's ~/.m2 is reused read-only through an overlay (writes go to
# WORK/m2-upper), its org/neguard artifacts hidden, so the root builds NEGuard from its sources.
#
# A machine whose network passes TLS through a proxy of its own has that proxy's CA in
# /usr/local/share/ca-certificates: the root gets those (as any machine on that network would),
# and NODE_EXTRA_CA_CERTS so that npm trusts them too.
#
# usage (root): packaging/fresh-machine-check.sh [--work DIR] [--no-tests]
#               [--reuse-root] [-- MAVEN-ARGS...]     (no MAVEN-ARGS: every test, about 25 minutes)
# --reuse-root: the root of the previous check as it was left (packages installed),
# with this commit's tree over it; only step 3 (to try tests again without the quickstart).
# Output: WORK/check-DATE-TIME.log, the timings at its end. Debian's mirror must be reachable.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=/tmp/neguard-fresh
tests=1
reuse=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --no-tests) tests=0; shift ;;
    --reuse-root) reuse=1; shift ;;
    --) shift; break ;;
    *) echo "fresh-machine-check: unknown argument $1 (see the usage at the top)" >&2; exit 2 ;;
  esac
done
[ "$EUID" = 0 ] || { echo "fresh-machine-check: run as root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-machine-check: apt-get install -y debootstrap" >&2; exit 2; }

base="$work/base"
root="$work/root"
mkdir -p "$work"
log="$work/check-$(date -u +%Y%m%d-%H%M).log"
: >"$log"
say() { echo "fresh-machine-check: $*" | tee -a "$log"; }
timings=()
step() { # step NAME COMMAND...: runs it, logs its output, records how long it took
  local name="$1" start end rc=0
  shift
  say "== $name"
  start=$(date +%s)
  "$@" >>"$log" 2>&1 || rc=$?
  end=$(date +%s)
  timings+=("$(printf '%-44s %5d s  exit %d' "$name" $((end - start)) "$rc")")
  say "   exit $rc after $((end - start)) s"
  return "$rc"
}

if [ ! -x "$base/usr/bin/mvn" ]; then
  rm -rf "$base"
  step "debootstrap bookworm (minbase + JDK 17, Maven)" debootstrap --variant=minbase \
    --include=openjdk-17-jdk-headless,maven bookworm "$base" http://deb.debian.org/debian
fi

if [ "$reuse" = 0 ] || [ ! -d "$root/src/neguard" ]; then
  reuse=0
  rm -rf "$root" "$work/m2-upper" "$work/m2-work"
  step "clean copy of the root" cp -a "$base" "$root"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
extra_ca=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >>"$log" 2>&1
  extra_ca=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  say "root: this machine's local CA certificates added (the network's TLS proxy)"
fi
mkdir -p "$root/src/neguard"
git -C "$repo" archive HEAD | tar -x -C "$root/src/neguard"
commit="$(git -C "$repo" rev-parse --short HEAD)"
say "repository: commit $commit (git archive HEAD$([ "$reuse" = 1 ] && echo ", over the previous check's tree" || echo ": no target/, no node_modules"))"

m2=0
if [ -d "$HOME/.m2/repository" ]; then
  m2=1
  mkdir -p "$work/m2-upper" "$work/m2-work"
  say "Maven repository: $HOME/.m2 read-only under an overlay (writes: $work/m2-upper)," \
    "org/neguard hidden"
fi

# in_root COMMAND: runs COMMAND in /src/neguard of the root, as root, in a mount namespace of its
# own whose / is the root (pivot_root, not a bare chroot: as on a machine, / is a mount of its own,
# which `ip netns exec` needs, and /proc/PID/exe of a daemon in a test's namespace reads
# /usr/sbin/..., not this machine's path to the root). Its mounts end with it.
in_root() {
  unshare --mount --propagation private -- bash -c '
    set -e
    r="$1" m2="$2" upper="$3" work="$4" cmd="$5"
    shift 5
    mount --bind "$r" "$r"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/run"
    mount -t tmpfs tmpfs "$r/tmp"
    if [ "$m2" = 1 ]; then
      mkdir -p "$r/root/.m2"
      mount -t overlay overlay -o "lowerdir=$HOME/.m2,upperdir=$upper,workdir=$work" "$r/root/.m2"
      rm -rf "$r/root/.m2/repository/org/neguard" # whiteouts in the upper layer only
    fi
    cd "$r"
    mkdir -p .old-root
    pivot_root . .old-root
    umount -l /.old-root
    exec /usr/bin/env -i "$@" bash -c "cd /src/neguard && $cmd"
  ' _ "$root" "$m2" "$work/m2-upper" "$work/m2-work" "$1" HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_ca[@]}"
}

status=0
say "root: $(in_root 'java -version 2>&1 | head -1; mvn -B -v 2>/dev/null | head -1; command -v clamd || echo no clamd' | tr '\n' ';')"
if [ "$reuse" = 0 ]; then
  step "./neguard quickstart (clean root)" in_root './neguard quickstart' || status=1
  step "./neguard quickstart (again: nothing to install)" in_root './neguard quickstart' || status=1
  if grep -q "installing them" <(sed -n '/quickstart (again/,$p' "$log"); then
    say "the second quickstart installed something: not idempotent"
    status=1
  fi
fi
if [ "$tests" = 1 ]; then
  args=""
  for a in "$@"; do args+=" $(printf '%q' "$a")"; done
  step ".ci/run${args:- (every test)}" in_root ".ci/run$args" || status=1
  say "the test command's last lines:"
  sed -n "/== test summary/,$ p" "$log" | grep -v '^fresh-machine-check:' | tail -40
fi
say "== timings (commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'), load: $(cut -d' ' -f1-3 /proc/loadavg))"
for t in "${timings[@]}"; do say "$t"; done
say "result: $([ "$status" = 0 ] && echo PASS || echo FAIL) (full log: $log)"
exit "$status"
