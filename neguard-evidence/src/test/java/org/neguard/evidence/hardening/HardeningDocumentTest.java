package org.neguard.evidence.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.api.device.ListeningPort;
import org.neguard.evidence.Outcome;

/** The hardening document's judgement of the NEs' port drift (HRD-1, HRD-4, HRD-6). */
@DisplayName("HRD-6 the fleet's hardening evidence")
class HardeningDocumentTest {
  private static final Instant AT = Instant.parse("2026-12-05T04:00:00Z");
  private static final HardeningPolicyInfo POLICY = new HardeningPolicyInfo("mme", 2,
      "ab".repeat(32), "admin", "2026-12-01T00:00:00Z", null, List.of("tcp/22 ssh"), true,
      null);
  private static final DriftFinding OPEN = new DriftFinding(1, "ne-1",
      new ListeningPort("tcp", 2323, "0.0.0.0"), "UNDECLARED", null, "42 nc", "not declared", 2,
      "2026-12-05T03:00:00Z", null, null);

  static DeviceDrift drift(String verdict, DriftFinding... findings) {
    int open = (int) List.of(findings).stream().filter(f -> f.resolvedAt() == null).count();
    return new DeviceDrift("ne-1", "mme", verdict == null ? null : "2026-12-05T03:30:00Z",
        verdict, open, List.of(findings));
  }

  @Test
  @DisplayName("HRD-1 a last inventory judged PASS with nothing open passes")
  void device_passedNothingOpen_passes() {
    assertThat(HardeningDocument.device(drift("PASS"), POLICY).outcome())
        .isEqualTo(Outcome.PASS);
    assertThat(HardeningDocument.build("t", AT, List.of(drift("PASS")), List.of(POLICY))
        .verdict()).isEqualTo("PASS");
  }

  @Test
  @DisplayName("HRD-4 an open finding fails the NE and the document, naming the port")
  void device_openFinding_fails() {
    var c = HardeningDocument.device(drift("FAIL", OPEN), POLICY);
    assertThat(c.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(c.details()).anyMatch(d -> d.startsWith("OPEN tcp/2323 on 0.0.0.0 UNDECLARED"));
    // Even when the last verdict says PASS: an open finding is never a pass.
    assertThat(HardeningDocument.device(drift("PASS", OPEN), POLICY).outcome())
        .isEqualTo(Outcome.FAIL);
  }

  @Test
  @DisplayName("HRD-6 no policy, no inventory or an empty fleet: not demonstrated, never a"
      + " pass; an inconclusive inventory fails the document")
  void device_nothingJudged_notDemonstrated() {
    assertThat(HardeningDocument.device(drift("PASS"), null).outcome())
        .isEqualTo(Outcome.NOT_TESTED);
    assertThat(HardeningDocument.device(drift(null), POLICY).outcome())
        .isEqualTo(Outcome.NOT_TESTED);
    assertThat(HardeningDocument.build("t", AT, List.of(), List.of(POLICY)).verdict())
        .isEqualTo("NOT_DEMONSTRATED");
    assertThat(HardeningDocument.device(drift("INCONCLUSIVE"), POLICY).outcome())
        .isEqualTo(Outcome.INCONCLUSIVE);
    assertThat(HardeningDocument.build("t", AT, List.of(drift("INCONCLUSIVE")),
        List.of(POLICY)).verdict()).isEqualTo("FAIL");
  }

  @Test
  @DisplayName("HRD-4 a device whose last report was refused fails, whatever an older report"
      + " said; one that stopped reporting is inconclusive, never a pass")
  void device_refusedOrOverdue_neverPasses() {
    DeviceDrift refused = new DeviceDrift("ne-1", "mme", "2026-12-05T03:30:00Z", "REFUSED", 0,
        List.of(), "2026-12-05T03:40:00Z", "SIZE_LIMIT: an inventory may have at most 524288"
            + " bytes", 3, null);
    var c = HardeningDocument.device(refused, POLICY);
    assertThat(c.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(c.actual()).contains("refused at 2026-12-05T03:40:00Z", "SIZE_LIMIT",
        "3 refused");
    DeviceDrift silent = new DeviceDrift("ne-1", "mme", "2026-12-05T03:30:00Z", "PASS", 0,
        List.of(), null, null, 0, "2026-12-05T04:01:00Z");
    var s = HardeningDocument.device(silent, POLICY);
    assertThat(s.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
    assertThat(s.actual()).contains("stopped reporting", "overdue since 2026-12-05T04:01:00Z");
  }
}
