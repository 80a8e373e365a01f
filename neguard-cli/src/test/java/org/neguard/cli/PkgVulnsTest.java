package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.demo.DemoClamd;
import org.neguard.progress.ProgressListener;
import org.neguard.vuln.VulnDb;

/**
 * {@code neguard pkg build --sbom-generate|--sbom} and {@code neguard pkg vulns} (issue 16): a
 * real bundle carrying an SBOM that names a vulnerable Debian package, built, scanned and signed
 * through the CLI, matched against an OSV feed imported with {@code VulnDb.importFeeds}. The
 * advisories are the inetutils telnetd fixes this machine's changelog names
 * ({@link TelnetdAdvisories}).
 */
class PkgVulnsTest {
  @TempDir static Path dir;

  private static Path pki;
  private static Path db;

  @BeforeAll
  static void setUp() throws Exception {
    pki = SignedBundles.demoPki(dir.resolve("pki"));
    Path feed = TelnetdAdvisories.feed(dir.resolve("feed"),
        Instant.now().truncatedTo(ChronoUnit.SECONDS));
    db = dir.resolve("db");
    VulnDb.importFeeds(db, List.of(feed), ProgressListener.NONE);
  }

  /** A root filesystem with telnetd at {@code version} (source inetutils), Debian 12. */
  private static Path rootfs(String name, String version) throws Exception {
    Path tree = dir.resolve("tree-" + name);
    Files.createDirectories(tree.resolve("var/lib/dpkg"));
    Files.createDirectories(tree.resolve("etc"));
    Files.writeString(tree.resolve("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n");
    Files.writeString(tree.resolve("var/lib/dpkg/status"),
        TelnetdAdvisories.dpkgStatus(version));
    Files.createDirectories(tree.resolve("usr/sbin"));
    Files.writeString(tree.resolve("usr/sbin/telnetd"), "#!/bin/sh\n");
    return tree;
  }

  /** Built with {@code sbomArgs}, scanned by a demo clamd, signed: as a vendor ships it. */
  private static Path bundle(String name, Path tree, String... sbomArgs) throws Exception {
    Path bundle = dir.resolve(name + ".ngp");
    List<String> args = new ArrayList<>(List.of("pkg", "build", "--name", name, "--version",
        "1.0.0", "--security-version", "1", "--ne-type", "mme", "--vendor", "ACME", "--from",
        tree.toString(), "--out", bundle.toString()));
    args.addAll(List.of(sbomArgs));
    CliRun build = CliRun.of(args.toArray(String[]::new));
    assertThat(build.exit()).as("%s", build).isZero();
    try (DemoClamd clamd = DemoClamd.builder(dir.resolve("clamd-" + name)).start()) {
      CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine", clamd.unixSpec());
      assertThat(scan.exit()).as("%s", scan).isZero();
    }
    CliRun sign = CliRun.of("pkg", "sign", bundle.toString(), "--key",
        pki.resolve("vendor.key").toString(), "--cert", pki.resolve("vendor.pem").toString());
    assertThat(sign.exit()).as("%s", sign).isZero();
    return bundle;
  }

  private static CliRun vulns(Path bundle, String... more) {
    List<String> args = new ArrayList<>(List.of("pkg", "vulns", bundle.toString(), "--db",
        db.toString(), "--json"));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static List<String> codes(CliRun r) {
    return r.json().path("reasons").findValuesAsText("code");
  }

  @Test
  @DisplayName("AV-2, HRD-3: --sbom-generate from a root filesystem's dpkg status; pkg vulns on the signed bundle (--trust) finds both telnetd advisories by source package: exit 3 KNOWN_VULNERABILITY for the critical one at --fail-on critical, both at --fail-on high")
  void generated_vulnerableTelnetd_fails() throws Exception {
    Path bundle = bundle("telnetd-old", rootfs("old", "2:2.4-2+deb12u1"), "--sbom-generate");
    CliRun inspect = CliRun.of("pkg", "inspect", bundle.toString(), "--json");
    assertThat(inspect.out()).contains("neguard-package/2").contains("neguard/sbom.cdx.json");

    CliRun r = vulns(bundle, "--trust", pki.resolve("ca.pem").toString());
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    JsonNode j = r.json();
    assertThat(j.path("verified").asText()).contains("signature");
    assertThat(j.path("findings").findValuesAsText("advisory"))
        .containsExactlyInAnyOrder("DEBIAN-CVE-2026-24061", "DEBIAN-CVE-2026-28372");
    assertThat(j.path("findings").findValuesAsText("package")).containsOnly("inetutils-telnetd");
    assertThat(codes(r)).containsExactly("KNOWN_VULNERABILITY");
    assertThat(j.path("reasons").path(0).path("message").asText()).contains("CVE-2026-24061")
        .contains("fixed in 2:2.4-2+deb12u2");

    CliRun high = vulns(bundle, "--fail-on", "high");
    assertThat(high.exit()).as("%s", high).isEqualTo(3);
    assertThat(codes(high)).containsExactly("KNOWN_VULNERABILITY", "KNOWN_VULNERABILITY");
    assertThat(high.json().path("verified").asText()).contains("NOT checked");

    CliRun text = CliRun.of("pkg", "vulns", bundle.toString(), "--db", db.toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.out()).contains("DEBIAN-CVE-2026-24061").contains("inetutils-telnetd")
        .contains("source inetutils").contains("KNOWN_VULNERABILITY");
  }

  @Test
  @DisplayName("AV-2: a backported fix is not reported: telnetd 2:2.4-2+deb12u3 passes; +deb12u2 has only the high finding, so --fail-on critical passes and --fail-on high fails")
  void thresholds_andBackports() throws Exception {
    Path fixed = bundle("telnetd-fixed", rootfs("fixed", "2:2.4-2+deb12u3"), "--sbom-generate");
    CliRun ok = vulns(fixed, "--fail-on", "low");
    assertThat(ok.exit()).as("%s", ok).isZero();
    assertThat(ok.json().path("findings")).isEmpty();

    Path half = bundle("telnetd-half", rootfs("half", "2:2.4-2+deb12u2"), "--sbom-generate");
    CliRun critical = vulns(half, "--fail-on", "critical");
    assertThat(critical.exit()).as("%s", critical).isZero();
    assertThat(critical.json().path("findings").findValuesAsText("advisory"))
        .containsExactly("DEBIAN-CVE-2026-28372");
    CliRun high = vulns(half, "--fail-on", "high");
    assertThat(high.exit()).as("%s", high).isEqualTo(3);
  }

  @Test
  @DisplayName("AV-2: a VEX statement (OpenVEX) saying not_affected with a justification suppresses the critical finding, which stays listed with its reason: exit 0")
  void vex_suppresses() throws Exception {
    Path bundle = bundle("telnetd-vex", rootfs("vex", "2:2.4-2+deb12u2"), "--sbom-generate");
    Path vex = Files.writeString(dir.resolve("vex.json"), """
        {"@context": "https://openvex.dev/ns/v0.2.0", "author": "ACME PSIRT",
         "timestamp": "2026-12-01T12:00:00Z", "statements": [
          {"vulnerability": {"name": "CVE-2026-28372"}, "status": "not_affected",
           "justification": "vulnerable_code_not_in_execute_path"}]}
        """);
    CliRun before = vulns(bundle, "--fail-on", "high");
    assertThat(before.exit()).as("%s", before).isEqualTo(3);
    CliRun r = vulns(bundle, "--fail-on", "high", "--vex", vex.toString());
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode f = r.json().path("findings").path(0);
    assertThat(f.path("suppressed").asBoolean()).isTrue();
    assertThat(f.path("vex").path("justification").asText())
        .isEqualTo("vulnerable_code_not_in_execute_path");
  }

  @Test
  @DisplayName("AV-2: a vendor's CycloneDX SBOM (--sbom FILE) is carried and matched; an invalid one is refused MALFORMED by pkg build, and nothing is written")
  void vendorSbom() throws Exception {
    Path sbom = Files.writeString(dir.resolve("vendor.cdx.json"), """
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
         "metadata": {"component": {"type": "application", "name": "mme-core", "version": "1.0.0"}},
         "components": [{"type": "library", "name": "inetutils-telnetd", "version": "2:2.4-2+deb12u1",
           "purl": "pkg:deb/debian/inetutils-telnetd@2%3A2.4-2%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=inetutils"}]}
        """);
    Path tree = dir.resolve("tree-plain");
    Files.createDirectories(tree.resolve("bin"));
    Files.writeString(tree.resolve("bin/mme"), "#!/bin/sh\n");
    Path bundle = bundle("vendor-sbom", tree, "--sbom", sbom.toString());
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get()) {
      assertThat(zip.getInputStream(zip.getEntry("neguard/sbom.cdx.json")).readAllBytes())
          .isEqualTo(Files.readAllBytes(sbom));
    }
    CliRun r = vulns(bundle);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("findings").findValuesAsText("advisory"))
        .contains("DEBIAN-CVE-2026-24061");

    Path bad = Files.writeString(dir.resolve("bad.cdx.json"),
        Files.readString(sbom).replace("\"version\": 1,", "\"version\": 1, \"sbomFormat\": 2,"));
    Path out = dir.resolve("bad-sbom.ngp");
    CliRun build = CliRun.of("pkg", "build", "--name", "x", "--version", "1", "--security-version",
        "1", "--ne-type", "mme", "--vendor", "ACME", "--from", tree.toString(), "--out",
        out.toString(), "--sbom", bad.toString(), "--json");
    assertThat(build.exit()).as("%s", build).isEqualTo(3);
    assertThat(codes(build)).containsExactly("MALFORMED");
    assertThat(build.out()).contains("sbomFormat");
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-2: --sbom-generate from a root filesystem whose dpkg status lists only a"
      + " removed package's config-files is refused SCAN_INCOMPLETE naming the file, and nothing"
      + " is written: an SBOM without the payload's Debian packages would pass pkg vulns")
  void generated_noInstalledPackage_refused() throws Exception {
    Path tree = rootfs("removed", "2:2.4-2+deb12u1");
    Files.writeString(tree.resolve("var/lib/dpkg/status"), "Package: inetutils-telnetd\n"
        + "Status: deinstall ok config-files\nArchitecture: amd64\nVersion: 2:2.4-2+deb12u1\n"
        + "\n");
    Path out = dir.resolve("removed.ngp");
    CliRun build = CliRun.of("pkg", "build", "--name", "removed", "--version", "1.0.0",
        "--security-version", "1", "--ne-type", "mme", "--vendor", "ACME", "--from",
        tree.toString(), "--out", out.toString(), "--sbom-generate", "--json");
    assertThat(build.exit()).as("%s", build).isEqualTo(3);
    assertThat(codes(build)).containsExactly("SCAN_INCOMPLETE");
    assertThat(build.json().path("reasons").path(0).path("message").asText()).contains(
        "var/lib/dpkg/status", "lists no installed package", "--sbom FILE");
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-2, INT-4: an SBOM swapped in a signed bundle (a fixed version claimed) is DIGEST_MISMATCH, with and without --trust; a bundle without an SBOM is BAD_INPUT (no verdict)")
  void tampered_andMissing() throws Exception {
    Path bundle = bundle("telnetd-tamper", rootfs("tamper", "2:2.4-2+deb12u1"), "--sbom-generate");
    Path forged = dir.resolve("forged.ngp");
    rewrite(bundle, forged, "neguard/sbom.cdx.json",
        s -> s.replace("deb12u1", "deb12u9"));
    CliRun plain = vulns(forged);
    assertThat(plain.exit()).as("%s", plain).isEqualTo(3);
    assertThat(codes(plain)).containsExactly("DIGEST_MISMATCH");
    CliRun trusted = vulns(forged, "--trust", pki.resolve("ca.pem").toString());
    assertThat(trusted.exit()).as("%s", trusted).isEqualTo(3);
    assertThat(codes(trusted)).contains("DIGEST_MISMATCH");

    Path tree = dir.resolve("tree-nosbom");
    Files.createDirectories(tree.resolve("bin"));
    Files.writeString(tree.resolve("bin/mme"), "#!/bin/sh\n");
    Path noSbom = bundle("no-sbom", tree);
    CliRun none = vulns(noSbom);
    assertThat(none.exit()).as("%s", none).isEqualTo(1);
    assertThat(codes(none)).containsExactly("BAD_INPUT");
    assertThat(none.out()).contains("carries no SBOM").contains("--sbom-generate");
  }

  @Test
  @DisplayName("HRD-3: a database older than --max-db-age is refused SCAN_POLICY")
  void staleDb_refused() throws Exception {
    Path bundle = bundle("telnetd-stale", rootfs("stale", "2:2.4-2+deb12u3"), "--sbom-generate");
    Thread.sleep(1100);
    CliRun stale = vulns(bundle, "--max-db-age", "1s");
    assertThat(stale.exit()).as("%s", stale).isEqualTo(3);
    assertThat(codes(stale)).containsExactly("SCAN_POLICY");
  }

  private static Path generic;

  /** A signed bundle whose SBOM has a pkg:generic component and one without a purl (once). */
  private static synchronized Path genericBundle() throws Exception {
    if (generic != null) {
      return generic;
    }
    Path sbom = Files.writeString(dir.resolve("generic.cdx.json"), """
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
          {"type": "library", "name": "blob", "version": "1", "purl": "pkg:generic/blob@1"},
          {"type": "firmware", "name": "bios", "version": "7"}]}
        """);
    Path tree = dir.resolve("tree-generic");
    Files.createDirectories(tree.resolve("bin"));
    Files.writeString(tree.resolve("bin/mme"), "#!/bin/sh\n");
    generic = bundle("generic", tree, "--sbom", sbom.toString());
    return generic;
  }

  private static Path notAssessedVex(String name, String products, String reason)
      throws Exception {
    return Files.writeString(dir.resolve(name), """
        {"@context": "https://openvex.dev/ns/v0.2.0", "author": "ACME PSIRT",
         "timestamp": "2026-12-01T12:00:00Z", "statements": [
          {"vulnerability": {"name": "NEGUARD-NOT-ASSESSED"}, %s "status": "not_affected"%s}]}
        """.formatted(products, reason));
  }

  @Test
  @DisplayName("HRD-3 AV-2: components that cannot be assessed (pkg:generic, no purl) hold"
      + " pkg vulns by default (--unassessable hold) with the server gate's reason code,"
      + " SCAN_INCOMPLETE, one per component named; --unassessable note (and the deprecated"
      + " --allow-not-assessed) passes with them listed; a conflicting or unknown policy is a"
      + " usage error")
  void unassessable_holdByDefault_notePasses() throws Exception {
    Path bundle = genericBundle();
    CliRun r = vulns(bundle);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    // The server answers the same upload 422 with SCAN_INCOMPLETE per component
    // (VulnGateCases.upload_unassessable_held_releasedByAnotherApprover).
    assertThat(codes(r)).containsExactly("SCAN_INCOMPLETE", "SCAN_INCOMPLETE");
    assertThat(r.json().path("reasons").findValuesAsText("subject"))
        .containsExactlyInAnyOrder("pkg:generic/blob@1", "bios 7 (no package URL)");
    assertThat(r.json().path("unassessable").asText()).isEqualTo("hold");
    assertThat(r.json().path("notAssessed").findValuesAsText("component"))
        .containsExactlyInAnyOrder("pkg:generic/blob@1", "bios 7");
    assertThat(r.json().path("findings").findValuesAsText("advisory"))
        .containsOnly("NEGUARD-NOT-ASSESSED").hasSize(2);
    CliRun text = CliRun.of("pkg", "vulns", bundle.toString(), "--db", db.toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.out()).contains("NOT ASSESSED  bios 7 (no package URL)", "HOLDS",
        "SCAN_INCOMPLETE");

    for (String[] note : List.of(new String[] {"--unassessable", "note"},
        new String[] {"--allow-not-assessed"})) {
      CliRun ok = CliRun.of(List.of(List.of("pkg", "vulns", bundle.toString(), "--db",
          db.toString()), List.of(note)).stream().flatMap(List::stream)
          .toArray(String[]::new));
      assertThat(ok.exit()).as("%s", ok).isZero();
      assertThat(ok.out()).contains("PASS", "NOT ASSESSED  pkg:generic/blob@1",
          "NOT ASSESSED  bios 7").doesNotContain("HOLDS");
    }
    CliRun both = vulns(bundle, "--allow-not-assessed", "--unassessable", "hold");
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
    CliRun bogus = vulns(bundle, "--unassessable", "ignore");
    assertThat(bogus.exit()).as("%s", bogus).isEqualTo(2);
  }

  @Test
  @DisplayName("HRD-3 AV-2: a VEX 'not affected' for NEGUARD-NOT-ASSESSED without a"
      + " justification is refused MALFORMED, as the server refuses it; with one it releases"
      + " every unassessed component (no product) or only the one it names (a purl); one for"
      + " another vulnerability releases nothing")
  void unassessable_vex() throws Exception {
    Path bundle = genericBundle();
    CliRun bare = vulns(bundle, "--vex", notAssessedVex("na-bare.json", "", "").toString());
    assertThat(bare.exit()).as("%s", bare).isEqualTo(3);
    assertThat(codes(bare)).containsExactly("MALFORMED");
    assertThat(bare.out()).contains("without a reason");

    String reason = ", \"impact_statement\": \"blob is a data file and bios the board"
        + " vendor's signed firmware, assessed by the vendor\"";
    CliRun all = vulns(bundle, "--vex", notAssessedVex("na-all.json", "", reason).toString());
    assertThat(all.exit()).as("%s", all).isZero();
    assertThat(all.json().path("findings").findValuesAsText("suppressed"))
        .containsOnly("true").hasSize(2);
    assertThat(all.json().path("findings").path(0).path("vex").path("impactStatement").asText())
        .contains("signed firmware");

    CliRun one = vulns(bundle, "--vex", notAssessedVex("na-one.json",
        "\"products\": [{\"@id\": \"pkg:generic/blob@1\"}],", reason).toString());
    assertThat(one.exit()).as("%s", one).isEqualTo(3);
    assertThat(one.json().path("reasons").findValuesAsText("subject"))
        .containsExactly("bios 7 (no package URL)");

    Path other = Files.writeString(dir.resolve("na-other.json"), Files.readString(
        notAssessedVex("na-x.json", "", reason)).replace("NEGUARD-NOT-ASSESSED",
        "CVE-2026-24061"));
    CliRun unrelated = vulns(bundle, "--vex", other.toString());
    assertThat(unrelated.exit()).as("%s", unrelated).isEqualTo(3);
    assertThat(codes(unrelated)).containsExactly("SCAN_INCOMPLETE", "SCAN_INCOMPLETE");
  }

  @Test
  @DisplayName("HRD-3 AV-2: an advisory carrying only a CVSS v4.0 vector (OSV CVSS_V4) grades its"
      + " finding by the computed score: HIGH 8.7, so --fail-on critical passes and --fail-on"
      + " high fails KNOWN_VULNERABILITY (unscored it would be UNKNOWN and fail both)")
  void cvss4OnlyAdvisory_judgedByItsScore() throws Exception {
    Path feed = Files.createDirectories(dir.resolve("feed-v4"));
    // A fixture advisory (its id, package and vector are the test's own): the vector is a
    // network attack needing low privileges, high impact on the vulnerable system only.
    Files.writeString(feed.resolve("NEGUARD-TEST-V4-1.json"), """
        {"id": "NEGUARD-TEST-V4-1", "modified": "%s", "summary": "fixture: v4-only advisory",
         "severity": [{"type": "CVSS_V4",
           "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
         "affected": [{"package": {"ecosystem": "npm", "name": "cvss4-fixture"},
           "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]}
        """.formatted(Instant.now().truncatedTo(ChronoUnit.SECONDS)));
    Path db4 = dir.resolve("db-v4");
    VulnDb.importFeeds(db4, List.of(feed), ProgressListener.NONE);
    Path sbom = Files.writeString(dir.resolve("v4.cdx.json"), """
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
          {"type": "library", "name": "cvss4-fixture", "version": "1.0.0",
           "purl": "pkg:npm/cvss4-fixture@1.0.0"}]}
        """);
    Path tree = dir.resolve("tree-v4");
    Files.createDirectories(tree.resolve("bin"));
    Files.writeString(tree.resolve("bin/mme"), "#!/bin/sh\n");
    Path bundle = bundle("cvss4", tree, "--sbom", sbom.toString());

    CliRun critical = CliRun.of("pkg", "vulns", bundle.toString(), "--db", db4.toString(),
        "--json", "--fail-on", "critical");
    assertThat(critical.exit()).as("%s", critical).isZero();
    JsonNode f = critical.json().path("findings").path(0);
    assertThat(f.path("advisory").asText()).isEqualTo("NEGUARD-TEST-V4-1");
    assertThat(f.path("severity").asText()).isEqualTo("HIGH");
    assertThat(f.path("cvss").path("version").asText()).isEqualTo("4.0");
    assertThat(f.path("cvss").path("score").asDouble()).isEqualTo(8.7);
    CliRun high = CliRun.of("pkg", "vulns", bundle.toString(), "--db", db4.toString(),
        "--json", "--fail-on", "high");
    assertThat(high.exit()).as("%s", high).isEqualTo(3);
    assertThat(codes(high)).containsExactly("KNOWN_VULNERABILITY");
    assertThat(high.json().path("reasons").path(0).path("message").asText())
        .contains("NEGUARD-TEST-V4-1", "(HIGH)");
  }

  /** {@code in} with entry {@code name}'s text edited, every other entry copied as it is. */
  private static void rewrite(Path in, Path out, String name,
      java.util.function.UnaryOperator<String> edit) throws Exception {
    try (ZipFile zip = ZipFile.builder().setPath(in).get();
        ZipArchiveOutputStream o = new ZipArchiveOutputStream(out)) {
      for (ZipArchiveEntry e : java.util.Collections.list(zip.getEntriesInPhysicalOrder())) {
        byte[] b = zip.getInputStream(e).readAllBytes();
        if (e.getName().equals(name)) {
          String before = new String(b, StandardCharsets.UTF_8);
          String after = edit.apply(before);
          assertThat(after).isNotEqualTo(before);
          assertThat(after.length()).isEqualTo(before.length());
          b = after.getBytes(StandardCharsets.UTF_8);
        }
        ZipArchiveEntry n = new ZipArchiveEntry(e.getName());
        n.setUnixMode(e.getUnixMode());
        n.setMethod(ZipArchiveEntry.DEFLATED);
        n.setTime(e.getTime());
        o.putArchiveEntry(n);
        o.write(b);
        o.closeArchiveEntry();
      }
    }
  }
}
