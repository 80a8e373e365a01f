package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code measure.paths}: the platform directories an NE measures beside its packages. */
@DisplayName("ATT-3 OBJ-2 the agent's measure.paths")
class MeasurePathsConfigTest {
  @TempDir Path dir;

  AgentConfig load(String extra) throws Exception {
    Path f = Files.writeString(dir.resolve("agent.properties"),
        "server.url=https://127.0.0.1:8444\nstate.dir=state\ninstall.root=install\n"
            + "tuf.root=root.json\ntrust.anchors=ca.pem\nne.type=mme\ndevice.id=ne-1\n" + extra);
    return AgentConfig.load(f);
  }

  @Test
  void measurePaths_labelsAndDirectories_relativeToTheConfig() throws Exception {
    assertThat(load("").measurePaths()).isEmpty();
    assertThat(load("measure.paths=etc=/etc/neguard, agent=lib\n").measurePaths())
        .isEqualTo(Map.of("etc", Path.of("/etc/neguard"), "agent", dir.resolve("lib")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/etc/neguard", "Etc=/etc", "=/etc", "etc=", "../x=/etc",
      "etc=/a,etc=/b"})
  void measurePaths_notLabelEqualsDirOrTwice_refused(String value) {
    assertThatThrownBy(() -> load("measure.paths=" + value + "\n"))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("measure.paths");
  }
}
