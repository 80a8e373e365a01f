package org.neguard.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Wave;
import org.neguard.verdict.ReasonCode;

/** What {@code deploy status} makes of a deployment's end: its exit code and its lines. */
class DeploymentTextTest {
  static Deployment deployment(String state, Wave... waves) {
    return new Deployment("d-1", "core", "1.0", "ab".repeat(32), 10, 1, "mme", state, "", "op",
        "2026-12-04T09:00:00Z", "2026-12-04T09:00:00Z", "2026-12-11T09:00:00Z", 1, List.of(),
        false, 100, 10, null, waves.length, 10, List.of(waves));
  }

  static Wave wave(int n, String state, int succeeded, int failed, int refused) {
    return new Wave(n, 5, state, 0, 5 - succeeded - failed - refused, succeeded, failed,
        refused, null, null);
  }

  @Test
  void badEnd_onlyOnceEnded_andNotForACleanCompletion() {
    assertThat(DeploymentText.badEnd(deployment("running", wave(1, "running", 1, 1, 0))))
        .isEmpty();
    assertThat(DeploymentText.badEnd(deployment("completed", wave(1, "succeeded", 5, 0, 0),
        wave(2, "succeeded", 5, 0, 0)))).isEmpty();
    for (String ended : List.of("rejected", "cancelled", "expired")) {
      assertThat(DeploymentText.badEnd(deployment(ended)))
          .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(ReasonCode.DEPLOYMENT_STATE));
    }
    assertThat(DeploymentText.badEnd(deployment("completed", wave(1, "succeeded", 5, 0, 0),
        wave(2, "succeeded", 4, 0, 1)))).hasValueSatisfying(r -> {
          assertThat(r.code()).isEqualTo(ReasonCode.DEPLOYMENT_STATE);
          assertThat(r.message()).contains("1 of 10 devices failed or were refused");
        });
  }

  @Test
  void waveLine_countsOfItsSize() {
    assertThat(DeploymentText.waveLine(wave(2, "running", 3, 1, 0)))
        .isEqualTo("wave 2  running   3 succeeded, 1 failed, 0 refused, 1 in progress of 5");
  }
}
