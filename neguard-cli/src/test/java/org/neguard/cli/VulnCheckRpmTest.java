package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.RequiredProgram;
import org.neguard.testing.RpmAdvisories;
import org.neguard.testing.RpmDatabase;

/**
 * {@code neguard vuln check --rpmdb}: a real rpm database (built with rpmbuild) against
 * AlmaLinux's ALSA-2023:0946 as published ({@link RpmAdvisories}), read directly or imported;
 * rpm's version order, the release required and covered.
 */
@DisplayName("HRD-3 vuln check of an rpm database")
class VulnCheckRpmTest {
  @TempDir Path dir;

  /** A database {@code neguard vulndb import} made of {@code feed}. */
  Path imported(Path feed) {
    Path db = dir.resolve("db");
    CliRun imported = CliRun.of("vulndb", "import", "--db", db.toString(), feed.toString());
    assertThat(imported.exit()).as("%s", imported).isZero();
    return db;
  }

  @Test
  @DisplayName("HRD-3 openssl-devel below the fix by release (exit 3, KNOWN_VULNERABILITY with"
      + " the fixed version, openssl-perl at the fix not reported), and by epoch alone; from"
      + " the feed and from an imported database alike")
  void rpmdb_byReleaseAndEpoch() throws Exception {
    Path feed = RpmAdvisories.feed(dir, "almalinux-9", Instant.now()
        .truncatedTo(ChronoUnit.SECONDS));
    Path db = imported(feed);
    Path byRelease = RpmDatabase.build(dir.resolve("release"), RpmAdvisories.BY_RELEASE);
    Path byEpoch = RpmDatabase.build(dir.resolve("epoch"), RpmAdvisories.BY_EPOCH);
    for (String[] c : new String[][] {{byRelease.toString(), "1:3.0.1-43.el9_0"},
        {byEpoch.toString(), "0:3.0.7-27.el9"}}) {
      for (String[] source : new String[][] {{"--feed", feed.toString()},
          {"--db", db.toString()}}) {
        CliRun r = CliRun.of("vuln", "check", source[0], source[1], "--rpmdb", c[0],
            "--release", "AlmaLinux:9", "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(3);
        JsonNode j = r.json();
        assertThat(j.path("packages").asInt()).as("%s", r).isEqualTo(3);
        assertThat(j.path("reasons")).as("%s", r).singleElement().satisfies(x ->
            assertThat(x.path("code").asText()).isEqualTo("KNOWN_VULNERABILITY"));
        assertThat(j.path("findings")).as("%s", r).singleElement().satisfies(f -> {
          assertThat(f.path("package").asText()).isEqualTo("openssl-devel");
          assertThat(f.path("installed").asText()).isEqualTo(c[1]);
          assertThat(f.path("advisory").asText()).isEqualTo(RpmAdvisories.ADVISORY);
          assertThat(f.path("fixedIn").asText()).isEqualTo(RpmAdvisories.FIXED);
          assertThat(f.path("matchedBy").asText()).isEqualTo("rpm-package");
        });
      }
    }
  }

  @Test
  @DisplayName("HRD-3 --rpmdb without an rpm release, or with one the advisories do not cover"
      + " (Rocky Linux:9 against AlmaLinux's), is never a pass: BAD_INPUT, SCAN_INCOMPLETE")
  void rpmdb_releaseRequiredAndCovered() throws Exception {
    Path feed = RpmAdvisories.feed(dir, "almalinux-9", Instant.now()
        .truncatedTo(ChronoUnit.SECONDS));
    Path rpmdb = RpmDatabase.build(dir.resolve("release"), RpmAdvisories.BY_RELEASE);
    CliRun none = CliRun.of("vuln", "check", "--feed", feed.toString(), "--rpmdb",
        rpmdb.toString(), "--json");
    assertThat(none.exit()).as("%s", none).isNotZero();
    assertThat(none.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "BAD_INPUT");
    CliRun debian = CliRun.of("vuln", "check", "--feed", feed.toString(), "--rpmdb",
        rpmdb.toString(), "--release", "Debian:12", "--json");
    assertThat(debian.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "BAD_INPUT");
    CliRun rocky = CliRun.of("vuln", "check", "--feed", feed.toString(), "--rpmdb",
        rpmdb.toString(), "--release", "Rocky Linux:9", "--json");
    assertThat(rocky.exit()).as("%s", rocky).isEqualTo(3);
    assertThat(rocky.json().path("reasons").path(0).path("code").asText()).isEqualTo(
        "SCAN_INCOMPLETE");
    assertThat(rocky.json().path("reasons").path(0).path("message").asText())
        .contains("Rocky Linux:9");
  }

  /**
   * rpm database directories that hold no package: missing (rpm, run as root, would create it
   * and its parents), an empty directory, an empty database file, and a real database rpm made
   * with --initdb that lists nothing. Each with the text its refusal names.
   */
  static List<Object[]> noPackages(Path dir) throws Exception {
    Path missing = dir.resolve("ne-root/var/lib/rpm");
    Path emptyDir = Files.createDirectories(dir.resolve("empty-dir"));
    Path emptyFile = Files.createDirectories(dir.resolve("empty-file"));
    Files.createFile(emptyFile.resolve("rpmdb.sqlite"));
    Path initialized = Files.createDirectories(dir.resolve("initialized"));
    RpmDatabase.run(List.of(RequiredProgram.require("rpm").toString(), "--dbpath",
        initialized.toString(), "--initdb"));
    return List.of(new Object[] {missing, "does not exist"},
        new Object[] {emptyDir, "holds no rpm database"},
        new Object[] {emptyFile, "holds no rpm database"},
        new Object[] {initialized, "rpm -qa listed no package"});
  }

  /** Nothing was written where {@link #noPackages} pointed rpm: rpm never ran there. */
  static void nothingCreated(Path dir) throws Exception {
    assertThat(dir.resolve("ne-root")).as("the missing database's parents").doesNotExist();
    try (var left = Files.list(dir.resolve("empty-dir"))) {
      assertThat(left).as("the empty directory stays empty").isEmpty();
    }
    assertThat(dir.resolve("empty-file/rpmdb.sqlite")).isEmptyFile();
  }

  @Test
  @DisplayName("HRD-3 --rpmdb naming no rpm database (missing, run as root; an empty directory;"
      + " an empty database file) or one listing no package (rpm --initdb) is never 'no"
      + " vulnerability': exit 3 SCAN_INCOMPLETE saying what to give, rpm never run where it"
      + " would create a database")
  void rpmdb_missingOrEmpty_scanIncomplete() throws Exception {
    Path feed = RpmAdvisories.feed(dir, "almalinux-9", Instant.now()
        .truncatedTo(ChronoUnit.SECONDS));
    for (Object[] c : noPackages(dir.resolve("rpmdbs"))) {
      CliRun r = CliRun.of("vuln", "check", "--feed", feed.toString(), "--rpmdb",
          c[0].toString(), "--release", "AlmaLinux:9", "--json");
      assertThat(r.exit()).as("%s", r).isEqualTo(3);
      assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
        assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
        assertThat(x.path("message").asText()).contains(c[0].toString(), (String) c[1],
            "nothing was assessed", "whole copy of the NE's rpm database");
      });
      assertThat(r.out()).doesNotContain("PASS");
    }
    nothingCreated(dir.resolve("rpmdbs"));
  }

  @Test
  @DisplayName("HRD-3 a RHEL 9.4 rpm database against Red Hat's RHSA-2023:0946 (per product"
      + " stream): --release 'Red Hat:9.4' matches every stream of the release, so openssl"
      + " (AppStream and BaseOS) and openssl-devel (AppStream) below the fix are reported with"
      + " its CVEs and fixed version, from the feed and from an imported database alike; a"
      + " RHEL 8 host is not covered by RHEL 9's streams (SCAN_INCOMPLETE, never a pass)")
  void rpmdb_rhel_everyStreamOfTheRelease() throws Exception {
    Path feed = RpmAdvisories.redHatFeed(dir, "redhat-9", Instant.now()
        .truncatedTo(ChronoUnit.SECONDS));
    Path db = imported(feed);
    Path rpmdb = RpmDatabase.build(dir.resolve("release"), RpmAdvisories.BY_RELEASE);
    for (String[] source : new String[][] {{"--feed", feed.toString()},
        {"--db", db.toString()}}) {
      CliRun r = CliRun.of("vuln", "check", source[0], source[1], "--rpmdb",
          rpmdb.toString(), "--release", "Red Hat:9.4", "--json");
      assertThat(r.exit()).as("%s", r).isEqualTo(3);
      JsonNode j = r.json();
      assertThat(j.path("notAssessed")).as("%s", r).isEmpty();
      assertThat(j.path("findings")).as("%s", r).hasSize(2).allSatisfy(f -> {
        assertThat(f.path("advisory").asText()).isEqualTo(RpmAdvisories.RHSA);
        assertThat(f.path("installed").asText()).isEqualTo("1:3.0.1-43.el9_0");
        assertThat(f.path("fixedIn").asText()).isEqualTo(RpmAdvisories.FIXED);
        assertThat(f.path("cves").toString()).contains("CVE-2023-0286");
        assertThat(f.path("severity").asText()).isEqualTo("HIGH");
      });
      assertThat(j.path("findings").findValuesAsText("package"))
          .containsExactlyInAnyOrder("openssl", "openssl-devel");
      CliRun rhel8 = CliRun.of("vuln", "check", source[0], source[1], "--rpmdb",
          rpmdb.toString(), "--release", "Red Hat:8.9", "--json");
      assertThat(rhel8.exit()).as("%s", rhel8).isEqualTo(3);
      assertThat(rhel8.json().path("reasons").path(0).path("code").asText())
          .isEqualTo("SCAN_INCOMPLETE");
    }
  }
}
