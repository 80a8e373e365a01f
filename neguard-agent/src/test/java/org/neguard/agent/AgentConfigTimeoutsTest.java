package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("INT-3 restart.timeout, hooks.timeout and hooks.user: defaults and refusals")
class AgentConfigTimeoutsTest {
  @TempDir Path dir;

  AgentConfig load(String extra) throws Exception {
    return AgentConfigEnforceTest.load(dir, extra);
  }

  @Test
  @DisplayName("INT-3 the restart's timeout is its own (60 s), not health.timeout; hooks 60 s,"
      + " no hooks.user by default")
  void defaults() throws Exception {
    AgentConfig c = load("health.timeout=5s");
    assertThat(c.restartTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.healthTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.hooks()).isEqualTo(new AgentConfig.Hooks(Duration.ofSeconds(60), null));
    AgentConfig set = load("restart.timeout=3s\nhooks.timeout=2m\nhooks.user=neguard-hooks");
    assertThat(set.restartTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(set.hooks()).isEqualTo(new AgentConfig.Hooks(Duration.ofMinutes(2),
        "neguard-hooks"));
  }

  @Test
  @DisplayName("INT-3 hooks.user root, an option or a path, and timeouts below 100 ms are"
      + " refused (exit 2)")
  void refusals() {
    for (String bad : new String[] {"hooks.user=root", "hooks.user=-r", "hooks.user=../x",
        "hooks.user=a b", "restart.timeout=50ms", "hooks.timeout=0s", "restart.timeout=x"}) {
      assertThatThrownBy(() -> load(bad)).as(bad)
          .isInstanceOf(AgentConfig.ConfigException.class)
          .hasMessageContaining(bad.substring(0, bad.indexOf('=')));
    }
  }
}
