package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The CVSS v3 base score computed from the vector: the rows named by a CVE against the score NVD
 * published for it (nvd.nist.gov, CVSS 3.x base score), the other rows (typical vectors, each
 * metric value at least once) with scores worked out by hand from the specification's
 * formulas; and the specification's own Roundup example.
 */
class Cvss3Test {
  @ParameterizedTest(name = "HRD-3 {0}: {1} scores {2}")
  @CsvSource({
      "CVE-2021-44228 Log4Shell, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H, 10.0",
      "CVE-2023-38408 OpenSSH agent, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 9.8",
      "CVE-2024-6387 regreSSHion, CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H, 8.1",
      "CVE-2014-0160 Heartbleed, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N, 7.5",
      "CVE-2022-0778 OpenSSL BN_mod_sqrt loop, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H, 7.5",
      "CVE-2021-4034 pwnkit, CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H, 7.8",
      "CVE-2019-5736 runc, CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H, 8.6",
      "CVE-2021-23337 lodash template, CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H, 7.2",
      "CVE-2023-32681 requests proxy leak, CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N, 6.1",
      "reflected XSS (typical), CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N, 6.1",
      "stored XSS (typical), CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N, 6.4",
      "adjacent network, CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 8.8",
      "physical, CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 6.8",
      "admin only, CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H, 7.2",
      "information leak, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N, 5.3",
      "low: physical and high complexity, CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N, 1.6",
      "no impact, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N, 0.0",
      "v3.0 vector, CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H, 9.8",
      "temporal metrics ignored for the base, CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O, 9.8"})
  void baseScore_publishedScores(String what, String vector, double score) {
    assertThat(Cvss3.baseScore(vector)).as(what).isEqualTo(score);
  }

  @Test
  @DisplayName("HRD-3 CVSS v3.1 Roundup (Appendix A): 4.000000000000001 rounds to 4.0, not 4.1"
      + " as v3.0's ceiling did; 4.02 to 4.1")
  void roundup_appendixA() {
    assertThat(Cvss3.roundup(4.000000000000001)).isEqualTo(4.0);
    assertThat(Cvss3.roundup30(4.000000000000001)).isEqualTo(4.1);
    assertThat(Cvss3.roundup(4.02)).isEqualTo(4.1);
    assertThat(Cvss3.roundup(4.0)).isEqualTo(4.0);
  }

  @ParameterizedTest(name = "HRD-3 refused: {0}")
  @ValueSource(strings = {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
      "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"})
  void baseScore_badVectors_refused(String vector) {
    assertThatThrownBy(() -> Cvss3.baseScore(vector)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining(vector);
  }

  @Test
  @DisplayName("HRD-3 Cvss.ofVector: a v3 vector's score and severity computed (v4.0 vectors:"
      + " Cvss4Test); a v2 vector gives no score here (its severity stays UNKNOWN unless NVD"
      + " grades it, which every gate counts)")
  void ofVector() {
    Cvss c = Cvss.ofVector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "osv").orElseThrow();
    assertThat(c.version()).isEqualTo("3.1");
    assertThat(c.score()).isEqualTo(9.8);
    assertThat(c.severity()).isEqualTo(Severity.CRITICAL);
    assertThat(Cvss.ofVector("AV:N/AC:L/Au:N/C:P/I:P/A:P", "osv")).isEmpty();
  }

  @Test
  @DisplayName("HRD-3 an OSV record whose CVSS_V3 vector is not one is refused MALFORMED at"
      + " import, not kept as an unscored finding")
  void osvRecord_badVector_refused() {
    String json = """
        {"id": "GHSA-xxxx-yyyy-zzzz", "modified": "2026-01-01T00:00:00Z",
         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"}],
         "affected": []}
        """;
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> OsvReader.read(
        json.getBytes(java.nio.charset.StandardCharsets.UTF_8), "r.json"));
    assertThat(t).isInstanceOf(org.neguard.verdict.RefusalException.class)
        .hasMessageContaining("base metric A missing");
    assertThat(((org.neguard.verdict.RefusalException) t).reasons().get(0).code())
        .isEqualTo(org.neguard.verdict.ReasonCode.MALFORMED);
  }
}
