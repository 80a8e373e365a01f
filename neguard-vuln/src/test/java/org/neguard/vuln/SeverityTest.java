package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The names of severities: thresholds users give, and grades findings carry. */
class SeverityTest {
  @Test
  @DisplayName("HRD-3 a threshold is low, medium, high or critical in any case; none, unknown,"
      + " a typo or null is none (the commands' usage errors)")
  void threshold_namesOnlyFour() {
    assertThat(Severity.threshold("High")).contains(Severity.HIGH);
    assertThat(Severity.threshold("critical")).contains(Severity.CRITICAL);
    assertThat(Severity.threshold("LOW")).contains(Severity.LOW);
    assertThat(Severity.threshold("medium")).contains(Severity.MEDIUM);
    for (String bad : new String[] {"none", "unknown", "urgent", "", " high", null}) {
      assertThat(Severity.threshold(bad)).as(bad).isEqualTo(Optional.empty());
    }
  }

  @Test
  @DisplayName("HRD-3 a finding's grade by name; one this version does not know, or none, is"
      + " UNKNOWN and so reaches every threshold (fail closed)")
  void ofName_unknownGradeReachesEveryThreshold() {
    assertThat(Severity.ofName("MEDIUM")).isEqualTo(Severity.MEDIUM);
    assertThat(Severity.ofName("SEVERE")).isEqualTo(Severity.UNKNOWN);
    assertThat(Severity.ofName(null)).isEqualTo(Severity.UNKNOWN);
    assertThat(Severity.ofName("SEVERE").reaches(Severity.CRITICAL)).isTrue();
    assertThat(Severity.ofName("MEDIUM").reaches(Severity.HIGH)).isFalse();
  }
}
