# shellcheck shell=bash
# What NEGuard needs from Debian, written once: sourced by ./neguard (for `neguard quickstart`) and
# by .ci/run (for the tests). Defines two lists and one installer; runs nothing by itself.

# The quickstart: a JDK and Maven to build NEGuard, clamd and sigtool for its private clamd.
# PROGRAM:PACKAGE pairs: a program already on PATH (or in /usr/sbin) counts, whatever installed
# it (a Temurin JDK, a ClamAV built from source), so the quickstart installs only what is missing.
NEGUARD_QUICKSTART_NEEDS=(java:openjdk-17-jdk-headless mvn:maven clamd:clamav-daemon sigtool:clamav)

# The tests: the quickstart's packages and every program the tests drive (checked by package name:
# CI installs exactly these):
#   anti-virus engines: clamav-daemon, clamav (sigtool), clamdscan (benchmark reference), yara,
#     zip (encrypted archives for the clamd tests), faketime (dated demo databases),
#     c-icap with its virus_scan module;
#   hardening targets: inetd services, telnetd, rsh/rlogin, fingerd, ftpd, tftpd, snmpd, Samba,
#     NFS-Ganesha; nmap as the reference scanner; libsctp1 for the JDK's SCTP channel;
#     finger (in.fingerd runs it to answer), rpcbind (Ganesha registers with it), nftables (a
#     filtered port inside the test namespace), socat (the declared SSH-like service), iproute2
#     (network namespaces);
#   openssl: the reference for the signature and digest tests;
#   openssh-client: the vulnerability tests read its Debian changelog (a backported fix);
#   postgresql: the server's storage tests run on it as well as on the embedded database;
#   swtpm, swtpm-tools, tpm2-tools: a software TPM 2.0 for the attestation tests (TPM quotes);
#   systemd: systemd-analyze verifies the agent's unit (packaging/systemd), systemd-id128 says
#     this machine's id (the reference of the machine-id reader, HRD-3);
#   python3-packaging: PEP 440 version order reference for the vulnerability matching tests;
#   rpm (rpm, rpmbuild): the agent's rpm inventory is tested on real rpm databases the tests build
#     (tiny packages recorded with rpm --justdb, nothing installed on the machine), and rpm's own
#     rpm.vercmp is the reference for rpm version order;
#   chromium, chromium-driver: the console's browser tests (issue 18) drive Debian's Chromium,
#     headless, through Debian's chromedriver with Selenium (no browser downloaded at test time).
# (Node.js and npm, for tuf-js, are .ci/run's own choice: see there.)
NEGUARD_TEST_PACKAGES=("${NEGUARD_QUICKSTART_NEEDS[@]#*:}"
  openssl openssh-client clamdscan yara c-icap libc-icap-mod-virus-scan faketime zip
  python3-packaging rpm
  inetutils-inetd inetutils-telnetd rsh-server fingerd finger inetutils-ftpd tftpd-hpa snmpd snmp
  samba nfs-ganesha nfs-ganesha-vfs rpcbind nmap libsctp1 iproute2 nftables socat
  postgresql swtpm swtpm-tools tpm2-tools systemd
  chromium chromium-driver
)

# The packages of PROGRAM:PACKAGE pairs whose program is missing, one a line.
neguard_missing_programs() {
  local need
  for need in "$@"; do
    command -v "${need%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${need%%:*}" ] || echo "${need#*:}"
  done
}

# The packages dpkg does not have installed, one a line (all of them without dpkg).
neguard_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

# neguard_install WHO WHY PACKAGE...: installs the packages with apt-get when this is root on
# Debian, saying what and why first; otherwise prints the one command to run and returns 1.
# Nothing to install: nothing said. Package scripts start no system-wide daemons (a policy-rc.d
# that refuses every start, for the install only): NEGuard starts its own clamd, the tests their
# own daemons, in their own directories or network namespaces, and a system-wide copy would hold
# their ports and take the machine's memory.
neguard_install() {
  local who="$1" why="$2"
  shift 2
  [ "$#" -gt 0 ] || return 0
  if [ "${EUID:-$(id -u)}" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      echo "$who: missing for $why: $*; run: sudo apt-get install -y $*" >&2
    else
      echo "$who: missing for $why: $* (Debian's package names); install them with your system's" \
        "package manager, then run again" >&2
    fi
    return 1
  fi
  echo "$who: missing for $why: $*; installing them (apt-get install, no daemon started)" >&2
  (
    export DEBIAN_FRONTEND=noninteractive
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -q && apt-get install -y -q --no-install-recommends "$@"
  ) >&2 || { echo "$who: apt-get could not install $*" >&2; return 1; }
}
