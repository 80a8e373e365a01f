package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.NeguardServer;
import org.neguard.testing.SoftwareTpm;

/**
 * The NE agent as a real process with a (software) TPM: after enrolling it binds its TPM's
 * attestation key to the real server by credential activation, once; a restart keeps the
 * binding and does not bind again. With {@code tpm.deviceKey=true} it enrolls with a key the TPM
 * holds and polls over mutual TLS; a key blob altered on disk stops it with {@code
 * tpm_key_refused} TPM_KEY_REJECTED (exit 3, no fall-back to a file key); a device enrolled with
 * a file key is refused TPM_KEY_MIGRATION until it has a new token.
 */
@DisplayName("ATT-1 OBJ-2 the NE agent process binds its TPM attestation key")
class AgentTpmProcessTest {
  static AgentFleet fleet;
  static SoftwareTpm tpm;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-tpm-test");
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

  static Connection db() throws Exception {
    return DriverManager.getConnection(NeguardServer.embeddedUrl(
        fleet.server.dataDir().resolve("db")), "sa", "");
  }

  static long count(String sql, String param) throws Exception {
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  @DisplayName("ATT-1 with tpm.tcti the agent enrolls, then binds its AK (the server stores the"
      + " AK the agent keeps, PCR 14); restarted, it keeps the binding and binds nothing again")
  void agentWithTpm_bindsOnce() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-tpm").configure("mme").set("tpm.tcti", tpm.tcti()).start();
    ne.await("enrolled", e -> true);
    ne.await("tpm_bound", e -> e.path("pcr").asInt() == 14);
    byte[] ak = Files.readAllBytes(ne.state().resolve("tpm/ak.pub"));
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement(
        "SELECT ak_public, pcr FROM device_tpm_bindings WHERE device_id = ?")) {
      ps.setString(1, "ne-tpm");
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBytes(1)).isEqualTo(ak);
        assertThat(rs.getInt(2)).isEqualTo(14);
      }
    }
    assertThat(Files.exists(ne.state().resolve("tpm/bound.json"))).isTrue();
    ne.stop();

    Path log = ne.log;
    long boundLines = Files.readAllLines(log).stream().filter(l -> l.contains("\"tpm_bound\""))
        .count();
    ne.start();
    ne.await("identity_loaded", e -> true);
    // Set-up (where it would bind) is over once it polls.
    long polls = ne.eventNames().stream().filter("poll"::equals).count();
    ne.await("poll", e -> {
      try {
        return ne.eventNames().stream().filter("poll"::equals).count() > polls;
      } catch (java.io.IOException x) {
        throw new java.io.UncheckedIOException(x);
      }
    });
    assertThat(Files.readAllLines(log).stream().filter(l -> l.contains("\"tpm_bound\""))
        .count()).isEqualTo(boundLines);
    assertThat(ne.eventNames()).doesNotContain("tpm_bind_failed");
    assertThat(count("SELECT COUNT(*) FROM audit_log WHERE action = 'TPM_BIND' AND actor = ?",
        "device:ne-tpm")).isEqualTo(1);
    ne.stop();
  }

  @Test
  @DisplayName("ATT-1 a TPM that cannot be reached is logged tpm_bind_failed with the reason;"
      + " the agent runs on (it binds before its first quote), and nothing is bound")
  void agentWithUnreachableTpm_logsAndBindsNothing() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-notpm").configure("mme")
        .set("tpm.tcti", "swtpm:host=127.0.0.1,port=1").start();
    ne.await("tpm_bind_failed", e -> e.path("message").asText().contains("tpm2_createek"));
    ne.await("poll", e -> true);
    assertThat(count("SELECT COUNT(*) FROM device_tpm_bindings WHERE device_id = ?",
        "ne-notpm")).isZero();
    ne.stop();
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
