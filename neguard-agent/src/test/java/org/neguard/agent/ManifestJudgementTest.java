package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.InstalledPackage;
import org.neguard.order.Approval;
import org.neguard.order.DeploymentOrder;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

@DisplayName("INT-3 the verified manifest against the order and the NE: NE type, no downgrade"
    + " without a rollback order, the package the order names")
class ManifestJudgementTest {
  static Manifest manifest(String version, long sv, String neType) {
    return new Manifest("neguard-package/1", "core", version, sv, neType, "ACME",
        "2026-12-04T10:00:00Z", new Manifest.Rim("sha256-tree-v1", "0".repeat(64)), List.of(),
        List.of());
  }

  static DeploymentOrder order(String version, boolean rollback) {
    Instant now = Instant.now();
    return new DeploymentOrder("1.0", "ne-1", "core", version, "a".repeat(64), 10, "dep-1",
        List.of(new Approval("bob", now)), now, now, now.plusSeconds(3600), rollback);
  }

  static void refused(ReasonCode code, Runnable r) {
    assertThatThrownBy(r::run).hasCauseInstanceOf(RefusalException.class)
        .satisfies(e -> org.assertj.core.api.Assertions.assertThat(
            ((RefusalException) e.getCause()).reasons().get(0).code()).isEqualTo(code));
  }

  static Runnable judging(Manifest m, DeploymentOrder o, String ne, InstalledPackage now) {
    return () -> {
      try {
        Agent.judge(m, o, ne, Optional.ofNullable(now));
      } catch (RefusalException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  @Test
  @DisplayName("INT-3 another NE type: NE_TYPE_MISMATCH")
  void otherNeType_refused() {
    refused(ReasonCode.NE_TYPE_MISMATCH, judging(manifest("2.0", 2, "henb"), order("2.0",
        false), "mme", null));
  }

  @Test
  @DisplayName("INT-3 a lower securityVersion: ROLLBACK_REFUSED unless the order is a rollback;"
      + " equal or higher passes")
  void downgrade_onlyWithARollbackOrder() {
    InstalledPackage now = new InstalledPackage("core", "3.0", 3);
    refused(ReasonCode.ROLLBACK_REFUSED, judging(manifest("2.0", 2, "mme"), order("2.0",
        false), "mme", now));
    assertThatCode(() -> judging(manifest("2.0", 2, "mme"), order("2.0", true), "mme", now)
        .run()).doesNotThrowAnyException();
    assertThatCode(() -> judging(manifest("3.1", 3, "mme"), order("3.1", false), "mme", now)
        .run()).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("INT-3 a bundle other than the package the order names: BAD_INPUT")
  void otherPackage_refused() {
    refused(ReasonCode.BAD_INPUT, judging(manifest("2.0", 2, "mme"), order("2.1", false),
        "mme", null));
  }
}
