package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** {@code agent measure} measures slots only, never where a changed link points. */
class MeasurementsTest {
  @TempDir Path dir;

  AgentConfig config() throws Exception {
    Path f = Files.writeString(dir.resolve("agent.properties"),
        "server.url=https://127.0.0.1:8444\nstate.dir=state\ninstall.root=install\n"
            + "tuf.root=root.json\ntrust.anchors=ca.pem\nne.type=mme\ndevice.id=ne-1\n");
    return AgentConfig.load(f);
  }

  static void refusedUnsafe(AgentConfig c) {
    assertThatThrownBy(() -> Measurements.measure(c))
        .isInstanceOfSatisfying(RefusalException.class, e -> assertThat(e.reasons().get(0)
            .code()).isEqualTo(ReasonCode.UNSAFE_PATH));
  }

  @Test
  @DisplayName("ATT-3 a 'current' link pointed by hand at / , at a directory outside versions/,"
      + " or at a name that is no slot's is refused UNSAFE_PATH, nothing walked; a slot of the"
      + " old name-version layout too")
  void measure_currentChangedByHand_refused() throws Exception {
    AgentConfig c = config();
    Path install = Files.createDirectories(dir.resolve("install/versions"));
    Path current = dir.resolve("install/current");
    Files.createSymbolicLink(current, Path.of("/"));
    refusedUnsafe(c);
    Files.delete(current);
    Files.createDirectories(dir.resolve("elsewhere"));
    Files.createSymbolicLink(current, Path.of("../elsewhere"));
    refusedUnsafe(c);
    Files.delete(current);
    Files.createDirectories(install.resolve("core-1.0"));
    Files.createSymbolicLink(current, Path.of("versions/core-1.0"));
    refusedUnsafe(c);
    Files.delete(current);
    // The control: a slot of a real name is measured (no manifest kept: no signed RIM).
    Files.writeString(Files.createDirectories(install.resolve("core@1.0")).resolve("a"), "a");
    Files.createSymbolicLink(current, Path.of("versions/core@1.0"));
    Measurements.Result r = Measurements.measure(c);
    assertThat(r.components()).hasSize(1);
    assertThat(r.components().get(0).component().name()).isEqualTo("core");
    assertThat(r.components().get(0).matches()).isFalse();
  }
}
