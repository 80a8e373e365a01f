package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Which VEX statement applies to which finding: the same vulnerability id and the same package
 * URL (or none), and nothing looser.
 */
class VexTest {
  static final String PURL =
      "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12";

  static Finding finding(String advisory, List<String> cves, String purl, Severity severity) {
    Component c = new Component("Debian:12", "openssh-server", "1:9.2p1-2", purl,
        Optional.empty(), Optional.empty());
    return new Finding(advisory, cves, "summary", severity, Optional.empty(), c, ">= 0",
        Optional.empty(), List.of(), "purl", Optional.empty());
  }

  static VexStatement statement(String vuln, List<String> products, VexStatement.Status status,
      String time) {
    return new VexStatement(vuln, products, status,
        status == VexStatement.Status.NOT_AFFECTED ? Optional.of("component_not_present")
            : Optional.empty(), Optional.empty(), "psirt", Instant.parse(time), "t.json");
  }

  static VexStatement notAffected(String vuln, String... products) {
    return statement(vuln, List.of(products), VexStatement.Status.NOT_AFFECTED,
        "2026-12-01T00:00:00Z");
  }

  static Assessment assessment(Finding... findings) {
    return new Assessment(List.of(findings), List.of(), "test", findings.length,
        Instant.parse("2026-12-01T00:00:00Z"));
  }

  @Test
  @DisplayName("AV-2 a not_affected statement naming the advisory id, or one of the finding's"
      + " CVEs, suppresses it: out of failing(), still in the findings with the statement")
  void applies_byAdvisoryOrCve() {
    Finding a = finding("DEBIAN-CVE-2024-6387", List.of("CVE-2024-6387"), PURL,
        Severity.CRITICAL);
    Finding b = finding("GHSA-xxxx-yyyy-zzzz", List.of("CVE-2023-38408"), PURL,
        Severity.CRITICAL);
    Assessment before = assessment(a, b);
    assertThat(before.failing(Severity.CRITICAL)).hasSize(2);
    Assessment after = Vex.apply(before, List.of(notAffected("CVE-2024-6387", PURL),
        notAffected("GHSA-xxxx-yyyy-zzzz")));
    assertThat(after.failing(Severity.CRITICAL)).isEmpty();
    assertThat(after.findings()).hasSize(2).allMatch(Finding::suppressed);
    assertThat(after.findings().get(0).vex().orElseThrow().vulnerability())
        .isEqualTo("CVE-2024-6387");
    assertThat(after.method()).contains("VEX: 2 statement(s) read, 2 finding(s)");
  }

  @Test
  @DisplayName("AV-2 a statement about another vulnerability, another version, another build"
      + " (qualifiers), a versionless purl or one that merely starts like the component's does"
      + " not apply; qualifiers in another order and percent-encoded spellings do")
  void products_matchExactly() {
    Finding f = finding("DEBIAN-CVE-2024-6387", List.of("CVE-2024-6387"), PURL,
        Severity.CRITICAL);
    for (String other : List.of(
        "pkg:deb/debian/openssh-server@1:9.2p1-2+deb12u3?arch=amd64&distro=debian-12",
        "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=arm64&distro=debian-12",
        "pkg:deb/debian/openssh-server@1:9.2p1-2",
        "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12&extra=1",
        "pkg:deb/debian/openssh-server?arch=amd64&distro=debian-12",
        "pkg:deb/debian/openssh-server",
        "pkg:deb/debian/openssh-serv@1:9.2p1-2?arch=amd64&distro=debian-12",
        "pkg:deb/debian/openssh-server@1:9.2p1?arch=amd64&distro=debian-12",
        "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12#usr/sbin",
        "pkg:deb/ubuntu/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12",
        "pkg:rpm/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12",
        "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12&arch=arm64",
        "pkg:deb/debian/openssh-server@1:9.2p1-2?arch=amd64&distro=debian-12 ")) {
      assertThat(Vex.applies(notAffected("CVE-2024-6387", other), f)).as(other).isFalse();
    }
    assertThat(Vex.applies(notAffected("CVE-2024-6388", PURL), f)).isFalse();
    assertThat(Vex.applies(notAffected("CVE-2024-638", PURL), f)).isFalse();
    assertThat(Vex.applies(notAffected("DEBIAN-CVE-2024-6387", PURL), f)).isTrue();
    for (String same : List.of(
        "pkg:deb/debian/openssh-server@1:9.2p1-2?distro=debian-12&arch=amd64",
        "pkg:deb/debian/openssh-server@1%3A9.2p1-2?arch=amd64&distro=debian-12",
        "pkg:DEB/debian/openssh-server@1:9.2p1-2?ARCH=amd64&distro=debian-12")) {
      assertThat(Vex.applies(notAffected("CVE-2024-6387", same), f)).as(same).isTrue();
    }
    assertThat(Vex.applies(notAffected("CVE-2024-6387", "pkg:npm/a@1", PURL), f))
        .as("one of several products").isTrue();
  }

  @Test
  @DisplayName("AV-2 the component's own purl as Component.ofDpkg writes it (%2B, %3A) matches"
      + " the plain spelling a vendor writes")
  void ofDpkg_encodedPurl() {
    Finding f = finding("X-1", List.of(), "pkg:deb/debian/inetutils-telnetd@2%3A2.4-2%2Bdeb12u3"
        + "?arch=amd64&distro=debian-12", Severity.HIGH);
    assertThat(Vex.applies(notAffected("X-1",
        "pkg:deb/debian/inetutils-telnetd@2:2.4-2+deb12u3?arch=amd64&distro=debian-12"), f))
        .isTrue();
  }

  @Test
  @DisplayName("AV-2 affected, fixed and under_investigation statements are attached but do not"
      + " suppress; of several statements the newest decides, and of two equally new the one"
      + " that does not suppress (fail closed)")
  void newestDecides_tieFailsClosed() {
    Finding f = finding("CVE-2024-6387", List.of(), PURL, Severity.CRITICAL);
    VexStatement oldNa = statement("CVE-2024-6387", List.of(), VexStatement.Status.NOT_AFFECTED,
        "2026-11-01T00:00:00Z");
    VexStatement newAffected = statement("CVE-2024-6387", List.of(),
        VexStatement.Status.AFFECTED, "2026-12-01T00:00:00Z");
    VexStatement newNa = statement("CVE-2024-6387", List.of(), VexStatement.Status.NOT_AFFECTED,
        "2026-12-01T00:00:00Z");
    VexStatement newest = statement("CVE-2024-6387", List.of(),
        VexStatement.Status.NOT_AFFECTED, "2026-12-02T00:00:00Z");
    Assessment a = assessment(f);
    assertThat(Vex.apply(a, List.of(oldNa, newAffected)).failing(Severity.CRITICAL)).hasSize(1);
    assertThat(Vex.apply(a, List.of(newNa, newAffected)).failing(Severity.CRITICAL))
        .as("a tie fails closed").hasSize(1);
    assertThat(Vex.apply(a, List.of(newNa, newAffected, newest)).failing(Severity.CRITICAL))
        .isEmpty();
    for (VexStatement.Status st : List.of(VexStatement.Status.AFFECTED,
        VexStatement.Status.FIXED, VexStatement.Status.UNDER_INVESTIGATION)) {
      Assessment out = Vex.apply(a, List.of(statement("CVE-2024-6387", List.of(), st,
          "2026-12-01T00:00:00Z")));
      assertThat(out.findings().get(0).vex()).isPresent();
      assertThat(out.failing(Severity.CRITICAL)).as(st.name()).hasSize(1);
    }
  }

  @Test
  @DisplayName("AV-2 a finding of unknown severity reaches every threshold, and a statement for"
      + " another finding leaves it failing")
  void unknownSeverity_counts() {
    Finding unknown = finding("CVE-2026-1", List.of(), PURL, Severity.UNKNOWN);
    Finding low = finding("CVE-2026-2", List.of(), PURL, Severity.LOW);
    Assessment a = Vex.apply(assessment(unknown, low), List.of(notAffected("CVE-2026-2")));
    assertThat(a.failing(Severity.CRITICAL)).extracting(Finding::advisoryId)
        .containsExactly("CVE-2026-1");
    assertThat(a.findings().get(1).suppressed()).isTrue();
  }
}
