package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code tpm.tcti}: the TPM the agent's evidence rests on; absent, none. */
@DisplayName("ATT-4 OBJ-2 the agent's tpm.tcti")
class TpmConfigTest {
  @TempDir Path dir;

  AgentConfig load(String extra) throws Exception {
    Path f = Files.writeString(dir.resolve("agent.properties"),
        "server.url=https://127.0.0.1:8444\nstate.dir=state\ninstall.root=install\n"
            + "tuf.root=root.json\ntrust.anchors=ca.pem\nne.type=mme\ndevice.id=ne-1\n" + extra);
    return AgentConfig.load(f);
  }

  @Test
  void tcti_absentMeansNoQuoter_presentIsPassedAsGiven() throws Exception {
    AgentConfig none = load("");
    assertThat(none.tpmTcti()).isNull();
    assertThat(TpmQuoter.fromConfig(none, dir.resolve("state"))).isEmpty();
    AgentConfig swtpm = load("tpm.tcti=swtpm:host=127.0.0.1,port=2321\n");
    assertThat(swtpm.tpmTcti()).isEqualTo("swtpm:host=127.0.0.1,port=2321");
    assertThat(TpmQuoter.fromConfig(swtpm, dir.resolve("state"))).isPresent();
    assertThat(load("tpm.tcti=device:/dev/tpmrm0\n").tpmTcti()).isEqualTo("device:/dev/tpmrm0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"swtpm:port=1;rm -rf /", "device:/dev/tpm0 -x", "$(id)", "",
      "swtpm:host=`x`"})
  void tcti_withBlanksOrShellCharacters_refused(String value) {
    assertThatThrownBy(() -> load("tpm.tcti=" + value + "\n"))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("tpm.tcti");
  }

  @Test
  @DisplayName("SRC-2 tpm.deviceKey is off by default, true or false only, and needs tpm.tcti")
  void deviceKey_defaultOff_needsTcti_trueOrFalseOnly() throws Exception {
    assertThat(load("tpm.tcti=device:/dev/tpmrm0\n").tpmDeviceKey()).isFalse();
    assertThat(load("tpm.tcti=device:/dev/tpmrm0\ntpm.deviceKey=true\n").tpmDeviceKey())
        .isTrue();
    assertThatThrownBy(() -> load("tpm.deviceKey=true\n"))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("needs tpm.tcti");
    assertThatThrownBy(() -> load("tpm.tcti=device:/dev/tpmrm0\ntpm.deviceKey=yes\n"))
        .isInstanceOf(AgentConfig.ConfigException.class).hasMessageContaining("tpm.deviceKey");
  }
}
