package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.RpmAdvisories;

/**
 * RHEL NEs against Red Hat's OSV records, which are keyed by product stream (issue 16, HRD-3;
 * {@link RedHatStreams}): Red Hat's RHSA-2023:0946 ({@link RpmAdvisories#redHatRecord}, in
 * the shape of Red Hat's records: {@code Red Hat:enterprise_linux:9::appstream} and {@code
 * ::baseos}, binary and source rpm names, CVE ids in {@code upstream}) matched for a host that
 * says only {@code Red Hat:9.4}; the traps: another major's stream, extended-support streams of
 * another minor, streams that disagree, a stream without a fix, streams whose name is odd or
 * whose release cannot be read.
 */
@DisplayName("HRD-3 RHEL NEs against Red Hat's per-stream advisories")
class RedHatMatchTest {
  static final String FIX = RpmAdvisories.FIXED;

  static AdvisoryIndex index(String... extra) throws Exception {
    List<Advisory> all = new ArrayList<>(List.of(OsvReader.read(RpmAdvisories.redHatRecord(
        Instant.now()).getBytes(StandardCharsets.UTF_8), "RHSA-2023-0946.json")));
    for (String json : extra) {
      all.add(OsvReader.read(json.getBytes(StandardCharsets.UTF_8), "extra.json"));
    }
    return AdvisoryIndex.of(all);
  }

  /** A record written for a test, in Red Hat's shape: {@code streams} of stream, fix pairs. */
  static String record(String id, String name, String... streams) {
    StringBuilder affected = new StringBuilder();
    for (int i = 0; i < streams.length; i += 2) {
      affected.append(i == 0 ? "" : ",").append("{\"package\":{\"name\":\"").append(name)
          .append("\",\"ecosystem\":\"").append(streams[i]).append("\",\"purl\":\"pkg:rpm/redhat/")
          .append(name).append("\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[")
          .append("{\"introduced\":\"0\"}").append(streams[i + 1] == null ? ""
              : ",{\"fixed\":\"" + streams[i + 1] + "\"}").append("]}]}");
    }
    return "{\"schema_version\":\"1.7.0\",\"id\":\"" + id + "\",\"upstream\":["
        + "\"CVE-2099-0001\"],\"modified\":\"" + Instant.now() + "\",\"summary\":\"test\","
        + "\"affected\":[" + affected + "]}";
  }

  static Component rpm(String release, String name, String version, String source) {
    return Component.ofRpm(name, version, "x86_64", source,
        version.substring(version.indexOf(':') + 1), release);
  }

  static List<String> findings(AdvisoryIndex index, Component... components) {
    return index.assess(new Inventory(List.of(components), List.of())).findings().stream()
        .map(f -> f.component().name() + " " + f.advisoryId() + " "
            + f.fixedVersion().orElse("-") + " " + f.matchedBy()).toList();
  }

  @Test
  @DisplayName("HRD-3 RHSA-2023:0946 on a RHEL 9.4 host: binaries named in AppStream"
      + " (openssl-devel) and in BaseOS (openssl-libs), and one named only by its source rpm"
      + " (openssl-fips), below the fix by release or by epoch, are reported with the upstream"
      + " CVEs and the advisory's CVSS; at the fix, or above it by epoch, not")
  void rhsa_everyStreamOfTheRelease() throws Exception {
    AdvisoryIndex index = index();
    for (String vulnerable : List.of("1:3.0.1-43.el9_0", "0:3.0.7-27.el9")) {
      assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", vulnerable, "openssl"),
          rpm("Red Hat:9.4", "openssl-libs", vulnerable, "openssl"),
          rpm("Red Hat:9.4", "openssl-fips", vulnerable, "openssl"))).as(vulnerable)
          .containsExactlyInAnyOrder(
              "openssl-devel RHSA-2023:0946 " + FIX + " rpm-package",
              "openssl-libs RHSA-2023:0946 " + FIX + " rpm-package",
              "openssl-fips RHSA-2023:0946 " + FIX + " source-rpm");
    }
    for (String fixed : List.of(FIX, "1:3.0.1-47.el9_1.1", "2:1.0-1.el9")) {
      assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", fixed, "openssl")))
          .as(fixed).isEmpty();
    }
    Finding f = index.assess(new Inventory(List.of(rpm("Red Hat:9.4", "openssl-devel",
        "1:3.0.1-43.el9_0", "openssl")), List.of())).findings().get(0);
    assertThat(f.cves()).contains("CVE-2023-0286", "CVE-2022-4450");
    assertThat(f.severity()).isEqualTo(Severity.HIGH);
    assertThat(f.affected()).contains("Red Hat:enterprise_linux:9::appstream");
    assertThat(f.component().purl()).startsWith("pkg:rpm/redhat/openssl-devel@")
        .contains("distro=rhel-9.4");
  }

  @Test
  @DisplayName("HRD-3 a Red Hat:enterprise_linux:8 record never matches a RHEL 9 host (nor"
      + " :90, nor another product whose CPE version is 9), and matches a RHEL 8 one")
  void otherMajor_notMatched() throws Exception {
    AdvisoryIndex index = index(record("TEST-RHEL8", "openssl-devel",
        "Red Hat:enterprise_linux:8::baseos", "1:9.9-1.el8",
        "Red Hat:enterprise_linux:90::appstream", "1:9.9-1.el90",
        "Red Hat:enterprise_linux_ai:9", "1:9.9-1.el9",
        "Red Hat:openshift:9::el9", "1:9.9-1.el9"));
    assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", FIX, "openssl")))
        .isEmpty();
    assertThat(findings(index, rpm("Red Hat:8.9", "openssl-devel", "1:1.1.1k-9.el8_7",
        "openssl"))).containsExactly("openssl-devel TEST-RHEL8 1:9.9-1.el8 rpm-package");
  }

  @Test
  @DisplayName("HRD-3 extended-support streams apply to their own minor release only; when the"
      + " streams that apply disagree, the package is affected if any says so, fixed in the"
      + " highest fix among them")
  void streamsDisagree_affectedIfAny_highestFix() throws Exception {
    AdvisoryIndex index = index(record("TEST-EUS", "openssl-devel",
        "Red Hat:enterprise_linux:9::appstream", "1:3.0.1-47.el9_1",
        "Red Hat:rhel_eus:9.0::appstream", "1:3.0.1-48.el9_0"));
    // 9.0: both streams say affected, the higher fix is given
    assertThat(findings(index, rpm("Red Hat:9.0", "openssl-devel", "1:3.0.1-43.el9_0",
        "openssl"))).contains("openssl-devel TEST-EUS 1:3.0.1-48.el9_0 rpm-package");
    // 9.0 at the main stream's fix: its EUS stream still says affected
    assertThat(findings(index, rpm("Red Hat:9.0", "openssl-devel", "1:3.0.1-47.el9_1",
        "openssl"))).containsExactly("openssl-devel TEST-EUS 1:3.0.1-48.el9_0 rpm-package");
    // 9.4 does not follow 9.0's EUS stream: the main stream alone
    assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", "1:3.0.1-43.el9_0",
        "openssl"))).contains("openssl-devel TEST-EUS 1:3.0.1-47.el9_1 rpm-package");
    assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", "1:3.0.1-47.el9_1",
        "openssl"))).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 a stream naming no fixed version (affected, no fix yet) reports the"
      + " package affected without a fixed version, even when another stream names one")
  void noFixedVersion_affected() throws Exception {
    AdvisoryIndex index = index(record("TEST-UNFIXED", "openssl-devel",
        "Red Hat:enterprise_linux:9::appstream", null,
        "Red Hat:enterprise_linux:9::crb", "1:3.0.1-47.el9_1"));
    assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", "9:9.9-9.el9",
        "openssl"))).containsExactly("openssl-devel TEST-UNFIXED - rpm-package");
    // below CRB's fix too: both say affected, but updating to CRB's fix leaves AppStream's
    assertThat(findings(index, rpm("Red Hat:9.4", "openssl-devel", "1:3.0.1-43.el9_0",
        "openssl"))).contains("openssl-devel TEST-UNFIXED - rpm-package");
  }

  @Test
  @DisplayName("HRD-3 a stream of the release with odd characters in its name still applies;"
      + " one whose release cannot be read (9.x, 09, none) makes the package not assessed,"
      + " never clean")
  void oddStreams() throws Exception {
    AdvisoryIndex odd = index(record("TEST-ODD", "openssl-devel",
        "Red Hat:enterprise_linux:9::sap hana/\u00e9:x", "1:3.0.1-47.el9_1"));
    assertThat(findings(odd, rpm("Red Hat:9.4", "openssl-devel", "1:3.0.1-43.el9_0",
        "openssl"))).contains("openssl-devel TEST-ODD 1:3.0.1-47.el9_1 rpm-package");
    for (String stream : List.of("Red Hat:enterprise_linux:9.x::baseos",
        "Red Hat:enterprise_linux:09::baseos", "Red Hat:rhel_eus", "Red Hat")) {
      Assessment a = index(record("TEST-UNREADABLE", "openssl-devel", stream,
          "1:3.0.1-47.el9_1")).assess(new Inventory(List.of(rpm("Red Hat:9.4",
          "openssl-devel", "1:3.0.1-47.el9_1", "openssl")), List.of()));
      assertThat(a.findings()).as(stream).isEmpty();
      assertThat(a.notAssessed()).as(stream).singleElement().satisfies(n -> assertThat(
          n.reason()).contains("TEST-UNREADABLE", "'" + stream + "'", "Red Hat:9.4"));
    }
  }

  @Test
  @DisplayName("HRD-3 host releases and stream coverage: Red Hat:9.4 and Red Hat:9 are hosts,"
      + " a stream or a malformed release is not; feeds cover a host when a stream applies")
  void hostsAndCoverage() {
    assertThat(RedHatStreams.host("Red Hat:9.4")).contains(new RedHatStreams.Host(9,
        OptionalInt.of(4)));
    assertThat(RedHatStreams.host("Red Hat:10")).contains(new RedHatStreams.Host(10,
        OptionalInt.empty()));
    for (String no : List.of("Red Hat:enterprise_linux:9::baseos", "Red Hat:09.4",
        "Red Hat:9.4.1", "Red Hat: 9.4", "Red Hat:9.", "Rhel:9.4", "Red Hat")) {
      assertThat(RedHatStreams.host(no)).as(no).isEmpty();
    }
    List<String> main9 = List.of("Red Hat:enterprise_linux:9::baseos");
    assertThat(RedHatStreams.covers(main9, "Red Hat:9.4")).isTrue();
    assertThat(RedHatStreams.covers(main9, "Red Hat:8.9")).isFalse();
    assertThat(RedHatStreams.covers(List.of("Red Hat:rhel_eus:9.2::baseos"), "Red Hat:9.4"))
        .isFalse();
    assertThat(RedHatStreams.covers(List.of("Red Hat:rhel_eus:9.2::baseos"), "Red Hat:9.2"))
        .isTrue();
    assertThat(RedHatStreams.covers(List.of("Red Hat:enterprise_linux:10.0"), "Red Hat:10.1"))
        .isTrue();
    assertThat(RedHatStreams.covers(main9, "Red Hat:enterprise_linux:9::baseos")).isTrue();
    assertThat(RedHatStreams.covers(main9, null)).isFalse();
  }

  @Test
  @DisplayName("HRD-3 the feed importer takes Red Hat's records as published (RHSA ids, upstream"
      + " CVEs, purls), and one stream named as the release is still matched exactly")
  void import_andExactStream(@TempDir Path dir) throws Exception {
    AdvisoryIndex index = AdvisoryIndex.importFeed(RpmAdvisories.redHatFeed(dir, "redhat",
        Instant.now()));
    assertThat(index.size()).isEqualTo(1);
    assertThat(index.all().get(0).id()).isEqualTo(RpmAdvisories.RHSA);
    assertThat(index.all().get(0).cves()).hasSize(8);
    assertThat(findings(index, rpm("Red Hat:enterprise_linux:9::baseos", "openssl-libs",
        "1:3.0.1-43.el9_0", "openssl"))).containsExactly(
        "openssl-libs RHSA-2023:0946 " + FIX + " rpm-package");
    // openssl-devel is in AppStream: a BaseOS-only release does not see it
    assertThat(findings(index, rpm("Red Hat:enterprise_linux:9::baseos", "openssl-devel",
        "1:3.0.1-43.el9_0", "openssl-devel"))).isEmpty();
  }
}
