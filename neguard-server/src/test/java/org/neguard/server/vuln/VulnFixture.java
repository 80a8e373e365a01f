package org.neguard.server.vuln;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.PackageInventory;
import org.neguard.api.device.PackageReport;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.vuln.VulnDb;

/**
 * Feeds and NE images for the vulnerability tests. The advisories are OSV records written from
 * this machine's own Debian changelogs (docs/VULNERABILITIES.md, "What an NE runs"):
 * {@code /usr/share/doc/inetutils-telnetd/changelog.Debian.gz} (2:2.4-2+deb12u2 "Fixes
 * CVE-2026-24061", 2:2.4-2+deb12u3 "Fixes CVE-2026-28372") and {@code
 * /usr/share/doc/openjdk-17-jre-headless/changelog.Debian.gz} (17.0.15+6-1 "Addresses
 * CVE-2025-30698", rebuilt for bookworm-security as 17.0.15+6-1~deb12u1). Their modification
 * time is the test's to choose: a fresh and a stale database are both cases under test.
 */
final class VulnFixture {
  private VulnFixture() {}

  static String record(String id, String pkg, String fixed, Instant modified) {
    return "{\"id\":\"DEBIAN-" + id + "\",\"modified\":\"" + modified + "\",\"aliases\":[\""
        + id + "\"],\"summary\":\"" + pkg + ": " + id + "\",\"affected\":[{\"package\":"
        + "{\"ecosystem\":\"Debian:12\",\"name\":\"" + pkg + "\"},\"ranges\":[{\"type\":"
        + "\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"" + fixed
        + "\"}]}]}]}";
  }

  /**
   * The three advisories as a zip of OSV records (as OSV's {@code all.zip}) named {@code
   * name.zip}, modified at {@code when}.
   */
  static Path feed(Path dir, String name, Instant when) throws IOException {
    Path f = dir.resolve(name + ".zip");
    try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(
        Files.newOutputStream(f))) {
      for (String[] r : List.of(new String[] {"CVE-2026-24061", "inetutils", "2:2.4-2+deb12u2"},
          new String[] {"CVE-2026-28372", "inetutils", "2:2.4-2+deb12u3"},
          new String[] {"CVE-2025-30698", "openjdk-17", "17.0.15+6-1~deb12u1"})) {
        z.putNextEntry(new java.util.zip.ZipEntry("DEBIAN-" + r[0] + ".json"));
        z.write(record(r[0], r[1], r[2], when).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return f;
  }

  static void importFeed(Path db, Path feed) throws Exception {
    VulnDb.importFeeds(db, List.of(feed), (done, total) -> { });
  }

  static String paragraph(String name, String version, String source) {
    return "Package: " + name + "\nStatus: install ok installed\nArchitecture: amd64\n"
        + "Source: " + source + "\nVersion: " + version + "\nDescription: x\n\n";
  }

  /**
   * An NE image: inetutils-telnetd before both fixes, serving tcp/23; openjdk-17 before the
   * April 2025 update, serving nothing; libc6, affected by none of the advisories.
   */
  static Path image(Path dir) throws IOException {
    Path d = Files.createDirectories(dir.resolve("var/lib/dpkg/info"));
    Files.writeString(dir.resolve("var/lib/dpkg/status"),
        paragraph("inetutils-telnetd", "2:2.4-2+deb12u1", "inetutils")
            + paragraph("openjdk-17-jre-headless", "17.0.14+7-1", "openjdk-17")
            + paragraph("libc6", "2.36-9+deb12u10", "glibc"));
    Files.writeString(d.resolve("inetutils-telnetd.list"), "/usr/sbin/telnetd\n");
    Files.writeString(d.resolve("openjdk-17-jre-headless:amd64.list"),
        "/usr/lib/jvm/java-17-openjdk-amd64/bin/java\n");
    Files.writeString(dir.resolve("os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
    return dir;
  }

  static ObservedPort tcp(int port, String process, String exe) {
    return new ObservedPort(Transport.TCP, "0.0.0.0", port, PortState.OPEN, null, "test",
        new ProcessInfo(42, process, exe, "root"), List.of());
  }

  /** What the real agent code reads of {@code image} with telnetd listening on tcp/23. */
  static PackageReport report(Path image) {
    return new PackageInventory(new AgentConfig.Packages(image.resolve("var/lib/dpkg"),
        image.resolve("os-release"))).take(List.of(tcp(23, "telnetd", "/usr/sbin/telnetd"),
        tcp(2222, "dropbear", "/usr/sbin/dropbear")));
  }
}
