package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.SoftwareTpm;

/**
 * The NE agent as a real process with {@code tpm.deviceKey=true} against the real server: it
 * enrolls with a key the TPM holds and polls over mutual TLS; a key blob altered on disk stops
 * it with {@code tpm_key_refused} TPM_KEY_REJECTED (exit 3, no fall-back to a file key); a
 * device enrolled with a file key is refused TPM_KEY_MIGRATION until it has a new token.
 */
@DisplayName("SRC-2 INT-3 the NE agent process with a TPM-held device key")
class AgentTpmKeyProcessTest {
  static AgentFleet fleet;
  static SoftwareTpm tpm;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-tpm-key-test");
    tpm = SoftwareTpm.start(fleet.dir.resolve("swtpm"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
    if (fleet != null) {
      fleet.close();
    }
  }

  static int exit(AgentFleet.Ne ne) throws Exception {
    assertThat(ne.process.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
    return ne.process.exitValue();
  }

  @Test
  @DisplayName("SRC-2 with tpm.deviceKey=true the agent enrolls and polls with the TPM's key,"
      + " no private key file in its state; an altered key blob stops it with TPM_KEY_REJECTED")
  void tpmDeviceKey_enrollsPolls_alteredBlobRefused() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-tpmkey").configure("mme").set("tpm.tcti", tpm.tcti())
        .set("tpm.deviceKey", "true").start();
    ne.await("enrolled", e -> e.path("key").asText().equals("tpm"));
    ne.await("poll", e -> true);
    ne.stop();
    assertThat(SoftwareTpm.privateKeyFiles(ne.state())).isEmpty();

    ne.start();
    ne.await("identity_loaded", e -> e.path("key").asText().equals("tpm"));
    ne.stop();

    Path priv;
    try (var s = Files.list(ne.state().resolve("identity"))) {
      priv = s.filter(p -> p.getFileName().toString().endsWith(".priv")).findFirst()
          .orElseThrow();
    }
    byte[] b = Files.readAllBytes(priv);
    b[b.length / 2] ^= 0x5a;
    Files.write(priv, b);
    long polls = ne.eventNames().stream().filter("poll"::equals).count();
    ne.start();
    ne.await("tpm_key_refused", e -> e.path("reason").asText().equals("TPM_KEY_REJECTED"));
    assertThat(exit(ne)).isEqualTo(3);
    assertThat(ne.eventNames().stream().filter("poll"::equals).count()).isEqualTo(polls);
    assertThat(ne.state().resolve("identity/device.key")).doesNotExist();
  }

  @Test
  @DisplayName("SRC-2 a device enrolled with a file key, then tpm.deviceKey=true: refused"
      + " TPM_KEY_MIGRATION, the message asking for a new enrollment token")
  void fileKeyIdentity_thenTpmDeviceKey_refusedAsMigration() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-migrate").configure("mme").start();
    ne.await("enrolled", e -> e.path("key").asText().equals("file"));
    ne.stop();
    ne.set("tpm.tcti", tpm.tcti()).set("tpm.deviceKey", "true").start();
    ne.await("tpm_key_refused", e -> e.path("reason").asText().equals("TPM_KEY_MIGRATION")
        && e.path("message").asText().contains("new enrollment token"));
    assertThat(exit(ne)).isEqualTo(3);
  }
}
