package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The scheduler's own timer (every fleet.schedulerInterval, 2 s by default) advances. */
@DisplayName("REC-2 the scheduler runs by itself")
class DeploymentTimerTest {
  static DeployFixture f;

  @BeforeAll
  static void start() throws Exception {
    f = new DeployFixture(null, true);
  }

  @AfterAll
  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void approvedDeployment_isStartedByTheTimer() throws Exception {
    f.device("t-1", "mme");
    String id = f.running(DeployFixture.body(List.of("t-1")));
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    while (!f.targets(id).get("t-1").equals("issued") && Instant.now().isBefore(deadline)) {
      Thread.sleep(100);
    }
    assertThat(f.targets(id)).containsEntry("t-1", "issued");
    assertThat(f.deployment(id).path("currentWave").asInt()).isEqualTo(1);
  }
}
