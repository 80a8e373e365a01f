# Sourced by bench/agent-idle.sh and bench/agent-install.sh: a real server on loopback with the
# people of a deployment and a 1-of-1 TUF root, and one NE agent configuration (the agent itself
# runs through the launcher, `neguard agent --config`, as on an NE: the launcher's JVM options
# for the agent are the ones measured). The caller sets root, work and neguard (an array: the
# command) and may set SERVER_OPTS (extra server options); this file sets url, server_pid,
# pki and the functions below. A trap stops the server and the agent on exit.

export NEGUARD_CDS="${NEGUARD_CDS:-0}"   # the server's and tools' start-up is not measured
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
as() { local who="$1"; shift; "${neguard[@]}" "$@" --config "$work/client-$who"; }

# CPU seconds (user + system) of a process so far, from /proc/PID/stat fields 14 and 15.
cpu_seconds() {
  python3 -c 'import os,sys; f=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split()
print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}
# A field of /proc/PID/status in KiB (VmRSS, VmHWM).
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

server_pid=""
agent_pid=""
fleet_cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap fleet_cleanup EXIT

pki="$work/pki"
# The caller may have made it (the vendor PKI its bundles are signed under): the server trusts
# its CA, and so does the agent.
[ -f "$pki/ca.pem" ] || "${neguard[@]}" pki demo --out "$pki" >/dev/null
for who in admin op appr pub holder; do head -c 18 /dev/urandom | base64 >"$work/$who-password"; done
# shellcheck disable=SC2086
"${neguard[@]}" server --data "$work/data" --port 0 --device-port 0 --trust "$pki/ca.pem" \
  --admin-password-file "$work/admin-password" --scheduler-interval 1s ${SERVER_OPTS:-} \
  --json >"$work/server.json" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 240); do grep -q '"url"' "$work/server.json" 2>/dev/null && break; sleep 1; done
url="$(json_field "$work/server.json" url)"
echo "server: $url (pid $server_pid)"
as admin login --server "$url" --user admin --password-file "$work/admin-password" >/dev/null
as admin user add bench-op --role operator --password-file "$work/op-password" >/dev/null
as admin user add bench-appr --role approver --password-file "$work/appr-password" >/dev/null
as admin user add bench-pub --role publisher --password-file "$work/pub-password" >/dev/null
as op login --server "$url" --user bench-op --password-file "$work/op-password" >/dev/null
as appr login --server "$url" --user bench-appr --password-file "$work/appr-password" >/dev/null
as pub login --server "$url" --user bench-pub --password-file "$work/pub-password" >/dev/null
# The TUF root: one holder's key, 1 of 1, made, signed and published by the ceremony commands.
mkdir -p "$work/holder"
"${neguard[@]}" repo key new --out "$work/holder/root.key" \
  --password-file "$work/holder-password" >/dev/null
as admin repo init --root-key "$work/holder/root.key.pub.json" --threshold 1 \
  --out "$work/root.json" >/dev/null
"${neguard[@]}" repo root sign "$work/root.json" --key "$work/holder/root.key" \
  --password-file "$work/holder-password" >/dev/null
as admin repo root publish "$work/root.json" >/dev/null

# ne_config DEVICE-ID POLL-INTERVAL: an NE's directory $work/DEVICE-ID with agent.properties
# (a fresh one-time enrollment token, NE type mme) and, later, agent.log.
ne_config() {
  local id="$1" home="$work/$1"
  mkdir -p "$home"
  as op device enroll-token --device-id "$id" --ca-out "$home/device-ca.pem" --force --json \
    >"$home/token.json"
  cat >"$home/agent.properties" <<EOF
server.url=$(json_field "$home/token.json" deviceUrl)
state.dir=state
install.root=install
tuf.root=$work/root.json
trust.anchors=$pki/ca.pem
ne.type=mme
device.id=$id
poll.interval=$2
enroll.token=$(json_field "$home/token.json" token)
enroll.ca=device-ca.pem
EOF
}

# agent_start DEVICE-ID: the agent as an NE runs it, through the launcher (which execs java: the
# background PID is the agent's JVM); its event lines go to $work/DEVICE-ID/agent.log.
agent_start() {
  "${neguard[@]}" agent --config "$work/$1/agent.properties" >"$work/$1/agent.log" 2>&1 &
  agent_pid=$!
}

# await_event DEVICE-ID EVENT [SECONDS]: waits for an event line of the agent.
await_event() {
  local i
  for i in $(seq "$((${3:-120} * 5))"); do
    grep -q "\"event\":\"$2\"" "$work/$1/agent.log" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "no '$2' event from the agent $1 within ${3:-120} s; its log:" >&2
  tail -20 "$work/$1/agent.log" >&2
  exit 1
}
