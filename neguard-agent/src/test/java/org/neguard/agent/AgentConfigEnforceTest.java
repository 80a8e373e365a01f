package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("HRD-1 enforce.ports: off unless set to true; anything but true or false refused")
class AgentConfigEnforceTest {
  @TempDir Path dir;

  AgentConfig load(String extra) throws Exception {
    return load(dir, extra);
  }

  /** A minimal valid configuration in {@code dir} with the lines {@code extra}. */
  static AgentConfig load(Path dir, String extra) throws Exception {
    Path f = Files.writeString(dir.resolve("agent.properties"), String.join("\n",
        "server.url=https://127.0.0.1:8444", "state.dir=state", "install.root=install",
        "tuf.root=root.json", "trust.anchors=ca.pem", "ne.type=mme", "device.id=ne-1", extra,
        ""));
    return AgentConfig.load(f);
  }

  @Test
  @DisplayName("HRD-1 the default is off; true turns it on; yes, 1 or TRUE are refused (exit 2)")
  void enforcePorts_parsedStrictly() throws Exception {
    assertThat(load("").enforcePorts()).isFalse();
    assertThat(load("enforce.ports=false").enforcePorts()).isFalse();
    assertThat(load("enforce.ports=true").enforcePorts()).isTrue();
    for (String bad : new String[] {"yes", "1", "TRUE", ""}) {
      assertThatThrownBy(() -> load("enforce.ports=" + bad)).as(bad)
          .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("enforce.ports");
    }
  }
}
