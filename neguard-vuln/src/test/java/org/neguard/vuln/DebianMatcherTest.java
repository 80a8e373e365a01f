package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Installed Debian packages against the distribution's advisories: backported fixes count,
 * binary packages map to their source, and bad feeds and package lists are refused.
 */
class DebianMatcherTest {
  @TempDir Path dir;

  static Path fixtures() throws URISyntaxException {
    return Path.of(DebianMatcherTest.class.getResource("osv/SOURCES.md").toURI()).getParent();
  }

  static String status(String telnetdVersion) {
    return "Package: inetutils-telnetd\nStatus: install ok installed\nArchitecture: amd64\n"
        + "Source: inetutils\nVersion: " + telnetdVersion + "\nDescription: telnet server\n"
        + " more description\n .\n\n"
        + "Package: bash\nStatus: install ok installed\nArchitecture: amd64\n"
        + "Version: 5.2.15-2+b7\nSource: bash (5.2.15-2)\n\n"
        + "Package: gone\nStatus: deinstall ok config-files\nArchitecture: all\n"
        + "Version: 1.0-1\n";
  }

  static List<DpkgPackage> parse(String status) throws Exception {
    return DpkgStatus.read(new ByteArrayInputStream(status.getBytes(StandardCharsets.UTF_8)));
  }

  static ReasonCode refusal(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(RefusalException.class);
    return ((RefusalException) t).reasons().get(0).code();
  }

  @Test
  @DisplayName("HRD-3 inetutils-telnetd 2:2.4-2+deb12u3 has the fixes for CVE-2026-24061 and"
      + " CVE-2026-28372 backported: not reported, though upstream 2.4 is affected; at"
      + " 2:2.4-2+deb12u1 both are reported with the version that fixes each")
  void match_backportedFixes_notReported() throws Exception {
    AdvisoryIndex index = AdvisoryIndex.importFeed(fixtures());
    assertThat(index.size()).isEqualTo(3);
    assertThat(index.newest()).contains(java.time.Instant.parse("2026-11-20T00:00:00Z"));
    assertThat(DebianMatcher.match(parse(status("2:2.4-2+deb12u3")), index, "Debian:12"))
        .isEmpty();
    List<DebianMatcher.Finding> old = DebianMatcher.match(parse(status("2:2.4-2+deb12u1")),
        index, "Debian:12");
    assertThat(old).extracting(f -> f.advisory().cves().get(0))
        .containsExactly("CVE-2026-24061", "CVE-2026-28372");
    assertThat(old).extracting(f -> f.pkg().name()).containsOnly("inetutils-telnetd");
    assertThat(old.get(0).fixedIn()).contains(DebianVersion.parse("2:2.4-2+deb12u2"));
    assertThat(old.get(1).fixedIn()).contains(DebianVersion.parse("2:2.4-2+deb12u3"));
    assertThat(DebianMatcher.match(parse(status("2:2.4-2")), index, "Debian:12")).hasSize(3);
    assertThat(DebianMatcher.match(parse(status("2:2.4-2+deb12u1")), index, "Debian:13"))
        .as("another release's advisories do not apply").isEmpty();
  }

  @Test
  @DisplayName("HRD-3 on this machine: its dpkg status is read whole, and each fixture's fixed"
      + " version is the changelog entry that says 'Fixes CVE-…' for it; the installed"
      + " inetutils is reported for none it fixes")
  void match_thisMachine_agreesWithTheChangelog() throws Exception {
    List<DpkgPackage> installed = DpkgStatus.read(Path.of("/var/lib/dpkg/status"));
    assertThat(installed).hasSizeGreaterThan(100);
    DpkgPackage telnetd = installed.stream().filter(p -> p.name().equals("inetutils-telnetd"))
        .findFirst().orElseThrow(() -> new AssertionError("inetutils-telnetd is not installed;"
            + " .ci/run installs it"));
    assertThat(telnetd.source()).isEqualTo("inetutils");
    String changelog;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(
        "/usr/share/doc/inetutils-telnetd/changelog.Debian.gz")))) {
      changelog = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    AdvisoryIndex index = AdvisoryIndex.importFeed(fixtures());
    for (Advisory a : index.affecting("Debian:12", "inetutils")) {
      String cve = a.cves().get(0);
      String fixed = a.affected().get(0).events().get(1).version();
      Matcher entry = Pattern.compile("inetutils \\(([^)]+)\\)[^\\n]*\\n((?:(?!inetutils \\().*"
          + "\\n)*)").matcher(changelog);
      String fixingEntry = null;
      while (entry.find()) {
        if (entry.group(2).contains("Fixes " + cve)) {
          fixingEntry = entry.group(1);
        }
      }
      assertThat(fixingEntry).as("the changelog entry fixing %s", cve).isEqualTo(fixed);
      boolean installedHasFix = telnetd.sourceVersion().compareTo(DebianVersion.parse(fixed))
          >= 0;
      assertThat(DebianMatcher.match(List.of(telnetd), index, "Debian:12").stream()
          .anyMatch(f -> f.advisory().id().equals(a.id()))).as(cve).isEqualTo(!installedHasFix);
    }
  }

  @Test
  @DisplayName("HRD-3 a package list that claims impossible versions, lists a package twice or"
      + " breaks a paragraph is refused whole (MALFORMED); an oversized one SIZE_LIMIT")
  void dpkgStatus_badLists_refused() throws Exception {
    assertThat(refusal(() -> parse(status("not-a-version")))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> parse(status("2:2.4-2") + "\n" + status("2:2.4-2"))))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> parse(" orphan continuation\n"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> parse("Package: x1\nPackage: x2\nStatus: install ok installed\n"
        + "Version: 1\n"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> parse("Package: Bad_Name\nStatus: install ok installed\n"
        + "Architecture: all\nVersion: 1\n"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refusal(() -> DpkgStatus.read(new java.io.InputStream() {
      long left = DpkgStatus.MAX_BYTES + 10L;

      @Override
      public int read() {
        return left-- > 0 ? 'x' : -1;
      }
    }))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("HRD-3 feeds: a malformed or truncated record, a truncated zip, two records with"
      + " one id, a record above 1 MiB are refused; a zip of the records imports as the"
      + " directory does")
  void importFeed_badFeeds_refused() throws Exception {
    byte[] good = Files.readAllBytes(fixtures().resolve("DEBIAN-CVE-2026-24061.json"));
    Path zip = dir.resolve("all.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      for (String n : List.of("DEBIAN-CVE-2026-24061.json", "DEBIAN-CVE-2026-28372.json")) {
        z.putNextEntry(new ZipEntry(n));
        z.write(Files.readAllBytes(fixtures().resolve(n)));
      }
    }
    assertThat(AdvisoryIndex.importFeed(zip).size()).isEqualTo(2);
    byte[] whole = Files.readAllBytes(zip);
    Path cut = Files.write(dir.resolve("cut.zip"), java.util.Arrays.copyOf(whole,
        whole.length / 2));
    assertThat(refusal(() -> AdvisoryIndex.importFeed(cut))).isEqualTo(ReasonCode.MALFORMED);

    Path twice = Files.createDirectories(dir.resolve("twice"));
    Files.write(twice.resolve("a.json"), good);
    Files.write(twice.resolve("b.json"), good);
    assertThat(refusal(() -> AdvisoryIndex.importFeed(twice))).isEqualTo(ReasonCode.MALFORMED);

    String json = new String(good, StandardCharsets.UTF_8);
    for (String bad : List.of(json.substring(0, json.length() / 2),
        json.replace("\"summary\"", "\"id\": \"X\", \"summary\""), json + " {}",
        json.replace("\"fixed\"", "\"patched\""), "[]")) {
      assertThat(refusal(() -> OsvReader.read(bad.getBytes(StandardCharsets.UTF_8), "f.json")))
          .as(bad).isEqualTo(ReasonCode.MALFORMED);
    }
    for (String bad : List.of(json.replace("\"aliases\": [\"CVE-2026-24061\"]",
        "\"aliases\": \"CVE-2026-24061\""),
        json.replace("\"affected\": [", "\"affected\": 7, \"x\": ["))) {
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(
          () -> OsvReader.read(bad.getBytes(StandardCharsets.UTF_8), "f.json"));
      assertThat(t).as(bad).isInstanceOf(RefusalException.class)
          .hasMessageMatching("MALFORMED: f\\.json: (aliases|affected) is not an array");
    }
    Path big = Files.createDirectories(dir.resolve("big"));
    Files.write(big.resolve("huge.json"), new byte[OsvReader.MAX_BYTES + 1]);
    assertThat(refusal(() -> AdvisoryIndex.importFeed(big))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("HRD-3 OSV range evaluation: several introduced/fixed pairs, last_affected, and"
      + " versions listed one by one")
  void affects_rangeForms() {
    Advisory.Affected two = Advisory.Affected.ofEvents("Debian:12", "x", List.of(
        new Advisory.Event("introduced", "1.0"), new Advisory.Event("fixed", "1.2"),
        new Advisory.Event("introduced", "2.0"), new Advisory.Event("fixed", "2.0-3")),
        List.of());
    assertThat(DebianMatcher.affects(two, DebianVersion.parse("0.9"))).isEmpty();
    assertThat(DebianMatcher.affects(two, DebianVersion.parse("1.1"))).contains(Optional.of(
        DebianVersion.parse("1.2")));
    assertThat(DebianMatcher.affects(two, DebianVersion.parse("1.10"))).isEmpty();
    assertThat(DebianMatcher.affects(two, DebianVersion.parse("2.0-2"))).isPresent();
    assertThat(DebianMatcher.affects(two, DebianVersion.parse("2.0-3"))).isEmpty();
    Advisory.Affected last = Advisory.Affected.ofEvents("Debian:12", "x", List.of(
        new Advisory.Event("introduced", "0"), new Advisory.Event("last_affected", "3.0-1")),
        List.of("9.9"));
    assertThat(DebianMatcher.affects(last, DebianVersion.parse("3.0-1"))).contains(
        Optional.empty());
    assertThat(DebianMatcher.affects(last, DebianVersion.parse("3.0-1+b1"))).isEmpty();
    assertThat(DebianMatcher.affects(last, DebianVersion.parse("9.9"))).isPresent();
  }
}
