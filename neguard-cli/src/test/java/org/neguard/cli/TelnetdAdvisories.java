package org.neguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The CLI tests' vulnerability fixture: the two inetutils telnetd advisories this machine's
 * changelog names (/usr/share/doc/inetutils-telnetd/changelog.Debian.gz: CVE-2026-24061 fixed in
 * 2:2.4-2+deb12u2, CVE-2026-28372 in +deb12u3; neguard-vuln's osv/SOURCES.md) as OSV records,
 * and a dpkg status with telnetd at a chosen version. The CVSS vectors are the fixture's own,
 * chosen to give one critical (9.8) and one high (7.5) finding.
 */
final class TelnetdAdvisories {
  /** One advisory: the CVE number, the Debian version that fixes it, its CVSS v3.1 vector. */
  record Advisory(String cve, String fixed, String vector) {
    String id() {
      return "DEBIAN-CVE-" + cve;
    }

    /** The OSV record, modified at {@code modified}. */
    String osv(Instant modified) {
      return """
          {"id": "DEBIAN-CVE-%s", "modified": "%s", "aliases": ["CVE-%s"],
           "summary": "inetutils: telnetd",
           "severity": [{"type": "CVSS_V3", "score": "%s"}],
           "affected": [{"package": {"ecosystem": "Debian:12", "name": "inetutils"},
             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "%s"}]}]}]}
          """.formatted(cve, modified, cve, vector, fixed);
    }
  }

  static final List<Advisory> BOTH = List.of(
      new Advisory("2026-24061", "2:2.4-2+deb12u2",
          "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
      new Advisory("2026-28372", "2:2.4-2+deb12u3",
          "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"));

  private TelnetdAdvisories() {}

  /** Both records, one file each, in directory {@code feed} (created). */
  static Path feed(Path feed, Instant modified) throws Exception {
    Files.createDirectories(feed);
    for (Advisory a : BOTH) {
      Files.writeString(feed.resolve(a.id() + ".json"), a.osv(modified));
    }
    return feed;
  }

  /** A Debian 12 dpkg status: inetutils-telnetd at {@code telnetd} (source inetutils), bash. */
  static String dpkgStatus(String telnetd) {
    return """
        Package: inetutils-telnetd
        Status: install ok installed
        Architecture: amd64
        Source: inetutils
        Version: %s

        Package: bash
        Status: install ok installed
        Architecture: amd64
        Version: 5.2.15-2+b7
        Source: bash (5.2.15-2)
        """.formatted(telnetd);
  }
}
