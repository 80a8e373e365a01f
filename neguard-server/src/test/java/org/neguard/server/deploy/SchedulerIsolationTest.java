package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The engine's round goes on past a deployment that cannot advance. */
class SchedulerIsolationTest {
  @Test
  @DisplayName("OBJ-1 a deployment whose advance fails every round does not stop a later one")
  void advanceAll_oneDeploymentFails_theLaterOneStillStarts() throws Exception {
    try (DeployFixture f = new DeployFixture()) {
      f.device("iso-bad", "mme");
      f.device("iso-good", "mme");
      String bad = f.running(DeployFixture.body(List.of("iso-bad")));
      String good = f.running(DeployFixture.body(List.of("iso-good")));
      // A row no order can be signed from (not a bundle digest): its round throws, every time.
      assertThat(f.update("UPDATE deployments SET bundle_sha256 = 'not-a-digest' WHERE id = ?",
          bad))
          .isEqualTo(1);

      assertThat(f.scheduler.advanceAll()).as("deployments advanced").isEqualTo(1);
      assertThat(f.targets(good)).containsEntry("iso-good", "issued");
      assertThat(f.targets(bad)).as("rolled back").containsEntry("iso-bad", "waiting");
      assertThat(f.rows("SELECT current_wave FROM deployments WHERE id = ?", bad).get(0))
          .containsEntry("current_wave", 0);
    }
  }
}
