package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.RpmAdvisories;

/**
 * rpm packages against an rpm distribution's OSV advisories (issue 16, HRD-3): AlmaLinux's
 * ALSA-2023:0946 as published ({@link RpmAdvisories}), matched by binary rpm name with rpm's
 * version order, by source rpm name where a record names the source; fixed by release and by
 * epoch both ways.
 */
@DisplayName("HRD-3 rpm packages against rpm advisories")
class RpmMatchTest {
  static AdvisoryIndex index(String... extra) throws Exception {
    List<Advisory> all = new java.util.ArrayList<>(List.of(OsvReader.read(RpmAdvisories
        .record(Instant.now()).getBytes(StandardCharsets.UTF_8), "ALSA-2023-0946.json")));
    for (String json : extra) {
      all.add(OsvReader.read(json.getBytes(StandardCharsets.UTF_8), "extra.json"));
    }
    return AdvisoryIndex.of(all);
  }

  static Component rpm(String name, String version, String source, String sourceVersion) {
    return Component.ofRpm(name, version, "x86_64", source, sourceVersion, "AlmaLinux:9");
  }

  static List<String> findings(AdvisoryIndex index, Component... components) {
    return index.assess(new Inventory(List.of(components), List.of())).findings().stream()
        .map(f -> f.component().name() + " " + f.component().version() + " " + f.advisoryId()
            + " " + f.fixedVersion().orElse("-") + " " + f.matchedBy()).toList();
  }

  @Test
  @DisplayName("HRD-3 ALSA-2023:0946: openssl-devel below the fix by release (43.el9_0,"
      + " 47.el9_0, 5.el9) or by epoch (3.0.7 without one) is reported once with the fixed"
      + " version; at the fix, above it by release, or with a higher epoch, not")
  void alsa_byReleaseAndEpoch() throws Exception {
    AdvisoryIndex index = index();
    for (String vulnerable : List.of("1:3.0.1-43.el9_0", "1:3.0.1-47.el9_0", "1:3.0.1-5.el9",
        "0:3.0.7-27.el9", "1:3.0.1~rc1-47.el9_1")) {
      assertThat(findings(index, rpm("openssl-devel", vulnerable, "openssl",
          vulnerable.substring(vulnerable.indexOf(':') + 1)))).as(vulnerable).containsExactly(
          "openssl-devel " + vulnerable + " ALSA-2023:0946 1:3.0.1-47.el9_1 rpm-package");
    }
    for (String fixed : List.of("1:3.0.1-47.el9_1", "1:3.0.1-47.el9_1.1", "1:3.0.1-48.el9",
        "2:1.0-1.el9", "1:3.0.1^1-1.el9")) {
      assertThat(findings(index, rpm("openssl-devel", fixed, "openssl",
          fixed.substring(fixed.indexOf(':') + 1)))).as(fixed).isEmpty();
    }
    // openssl-libs: a binary the record does not name, of the same source: not reported
    assertThat(findings(index, rpm("openssl-libs", "1:3.0.1-43.el9_0", "openssl",
        "3.0.1-43.el9_0"))).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 a record naming the source rpm (as openSUSE's, SUSE's and Mageia's do)"
      + " matches each binary built from it, with the binary's epoch on the source's version;"
      + " a record naming both is reported once")
  void sourceRpm_matched() throws Exception {
    // Written for this test in the shape the OSV schema gives those ecosystems (name: the
    // source rpm), with ALSA-2023:0946's versions.
    String bySource = "{\"id\":\"TEST-SRC-1\",\"modified\":\"" + Instant.now() + "\","
        + "\"affected\":[{\"package\":{\"ecosystem\":\"AlmaLinux:9\",\"name\":\"openssl\"},"
        + "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
        + "{\"fixed\":\"1:3.0.1-47.el9_1\"}]}]},{\"package\":{\"ecosystem\":\"AlmaLinux:9\","
        + "\"name\":\"openssl-libs\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":["
        + "{\"introduced\":\"0\"},{\"fixed\":\"1:3.0.1-47.el9_1\"}]}]}]}";
    AdvisoryIndex index = index(bySource);
    assertThat(findings(index, rpm("openssl-libs", "1:3.0.1-43.el9_0", "openssl",
        "3.0.1-43.el9_0"))).containsExactly(
        "openssl-libs 1:3.0.1-43.el9_0 TEST-SRC-1 1:3.0.1-47.el9_1 rpm-package");
    assertThat(findings(index, rpm("openssl-fips", "1:3.0.1-43.el9_0", "openssl",
        "3.0.1-43.el9_0"))).containsExactly(
        "openssl-fips 1:3.0.1-43.el9_0 TEST-SRC-1 1:3.0.1-47.el9_1 source-rpm");
    // the source's epoch is the binary's: 3.0.1-43 of epoch 1 is below the fix, not above
    assertThat(findings(index, rpm("openssl-fips", "1:3.0.1-47.el9_1", "openssl",
        "3.0.1-47.el9_1"))).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 an rpm list without a release, or of a release no feed covers, is never"
      + " passed: not assessed, or no advisory at all (the server and the CLI then say"
      + " NOT_ASSESSED)")
  void noRelease_notAssessed() throws Exception {
    Assessment a = index().assess(new Inventory(List.of(Component.ofRpm("openssl-devel",
        "1:3.0.1-43.el9_0", "x86_64", "openssl", "3.0.1-43.el9_0", "AlmaLinux")), List.of()));
    assertThat(a.findings()).isEmpty();
    assertThat(a.notAssessed()).singleElement().satisfies(n -> assertThat(n.reason())
        .contains("no AlmaLinux release known"));
    assertThatThrownBy(() -> Component.ofRpm("openssl-devel", "1:3.0.1-43-el9_0", "x86_64",
        "openssl", "3.0.1-43.el9_0", "AlmaLinux:9")).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("1:3.0.1-43-el9_0");
    assertThat(VersionScheme.forEcosystem("Rocky Linux:9")).contains(VersionScheme.RPM);
    assertThat(VersionScheme.forEcosystem("Red Hat:enterprise_linux:9::appstream"))
        .contains(VersionScheme.RPM);
    assertThat(VersionScheme.forEcosystem("Fedora:40")).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 openSUSE Leap (openSUSE:Leap 15.5): its records name the source rpm, so"
      + " each binary of openssl-3 below the fix is reported, libopenssl3 by its source; the"
      + " record's Leap 15.4 entry is never a 15.5 NE's; SUSE Linux Enterprise (Sles:15.5),"
      + " whose records are per product module, is not assessed")
  void openSuseLeap_bySourceRpm() throws Exception {
    AdvisoryIndex index = AdvisoryIndex.of(List.of(OsvReader.read(RpmAdvisories.openSuseRecord(
        Instant.now()).getBytes(StandardCharsets.UTF_8), "suse.json")));
    String below = "3.0.8-150500.5.8.1";
    Component lib = Component.ofRpm("libopenssl3", below, "x86_64", "openssl-3", below,
        RpmAdvisories.LEAP);
    assertThat(findings(index, lib)).containsExactly("libopenssl3 " + below
        + " NEGUARD-TEST-SUSE-1 " + RpmAdvisories.LEAP_FIXED + " source-rpm");
    assertThat(findings(index, Component.ofRpm("libopenssl3", RpmAdvisories.LEAP_FIXED,
        "x86_64", "openssl-3", RpmAdvisories.LEAP_FIXED, RpmAdvisories.LEAP))).isEmpty();
    // 15.4's entry says everything below 9:9.9 is affected: not for a 15.5 NE
    assertThat(findings(index, Component.ofRpm("libopenssl3", "3.0.9-1.1", "x86_64",
        "openssl-3", "3.0.9-1.1", RpmAdvisories.LEAP))).isEmpty();
    Assessment sles = index.assess(new Inventory(List.of(Component.ofRpm("libopenssl3", below,
        "x86_64", "openssl-3", below, "Sles:15.5")), List.of()));
    assertThat(sles.findings()).isEmpty();
    assertThat(sles.notAssessed()).singleElement().satisfies(n -> assertThat(n.reason())
        .contains("Sles:15.5"));
  }
}
