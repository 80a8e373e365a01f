package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Components that cannot be assessed as findings a gate holds a package for (issue 16, AV-2,
 * docs/VULNERABILITIES.md "Components that cannot be assessed"): of unknown severity, so they
 * reach every threshold; released only by a VEX statement naming {@link
 * Unassessable#ADVISORY_ID}, for the package or the component's exact purl.
 */
class UnassessableTest {
  static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

  @Test
  @DisplayName("AV-2 a component without a purl and one of an ecosystem without version rules"
      + " (read from a real CycloneDX document) become failing findings at every threshold;"
      + " a reasoned VEX for NEGUARD-NOT-ASSESSED suppresses them, one for another id does not,"
      + " one naming the gem's purl suppresses that one only")
  void asFindings_failUntilReleased() throws Exception {
    CycloneDx.Sbom sbom = CycloneDx.read(("{\"bomFormat\": \"CycloneDX\", \"specVersion\":"
        + " \"1.5\", \"components\": [{\"type\": \"library\", \"name\": \"blob\", \"version\":"
        + " \"4.2\"}, {\"type\": \"library\", \"name\": \"rails\", \"purl\":"
        + " \"pkg:gem/rails@7.0.8\"}]}").getBytes(StandardCharsets.UTF_8), "t.cdx.json");
    Assessment none = new Assessment(List.of(), List.of(), "m", 1, T, List.of(
        new Assessment.NotAssessed(sbom.components().get(0), "no version rules for gem")));
    Assessment a = Unassessable.asFindings(none, sbom.unidentified());
    assertThat(a.findings()).extracting(f -> f.component().name() + " " + f.component().purl())
        .containsExactly("rails pkg:gem/rails@7.0.8", "blob ");
    assertThat(a.findings()).allSatisfy(f -> {
      assertThat(Unassessable.is(f)).isTrue();
      assertThat(f.severity()).isEqualTo(Severity.UNKNOWN);
    });
    assertThat(a.failing(Severity.CRITICAL)).hasSize(2);
    assertThat(a.notAssessed()).isEqualTo(none.notAssessed());

    VexStatement all = VexTest.notAffected(Unassessable.ADVISORY_ID);
    assertThat(Vex.apply(a, List.of(all)).failing(Severity.LOW)).isEmpty();
    assertThat(Vex.apply(a, List.of(VexTest.notAffected("CVE-2026-24061")))
        .failing(Severity.LOW)).hasSize(2);
    assertThat(Vex.apply(a, List.of(VexTest.notAffected(Unassessable.ADVISORY_ID,
        "pkg:gem/rails@7.0.8"))).failing(Severity.LOW))
        .extracting(f -> f.component().name()).containsExactly("blob");
    assertThat(Unassessable.asFindings(new Assessment(List.of(), List.of(), "m", 0, T),
        List.of()).findings()).isEmpty();
    assertThat(Optional.of(a.method())).hasValueSatisfying(m -> assertThat(m)
        .contains(Unassessable.ADVISORY_ID));
  }
}
