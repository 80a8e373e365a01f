package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code inventory.interval}: port drift reports every minute by default, 0 off, never faster
 * than 1 s.
 */
@DisplayName("HRD-1 HRD-4 the agent's inventory.interval")
class InventoryIntervalConfigTest {
  @TempDir Path dir;

  AgentConfig load(String extra) throws Exception {
    Path f = Files.writeString(dir.resolve("agent.properties"),
        "server.url=https://127.0.0.1:8444\nstate.dir=state\ninstall.root=install\n"
            + "tuf.root=root.json\ntrust.anchors=ca.pem\nne.type=mme\ndevice.id=ne-1\n" + extra);
    return AgentConfig.load(f);
  }

  @Test
  void inventoryInterval_absent_everyMinute() throws Exception {
    assertThat(load("").inventoryInterval()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void inventoryInterval_zero_off() throws Exception {
    assertThat(load("inventory.interval=0\n").inventoryInterval()).isZero();
    assertThat(load("inventory.interval=1s\n").inventoryInterval())
        .isEqualTo(Duration.ofSeconds(1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"500ms", "-5s", "soon"})
  void inventoryInterval_belowOneSecondNegativeOrNotADuration_refused(String value) {
    assertThatThrownBy(() -> load("inventory.interval=" + value + "\n"))
        .isInstanceOf(AgentConfig.ConfigException.class)
        .hasMessageContaining("inventory.interval");
  }
}
