package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.server.NeguardServer;
import org.neguard.server.device.TestDevice;

/**
 * Crash-safe certificate renewal in the real agent process against a real server (docs/AGENT.md,
 * "The device identity and its renewal"): the identity directory is left as a crash between the
 * server's answer and the agent's save leaves it, and the restarted agent completes the renewal
 * by itself, as it does an enrollment whose answer a crash lost; a key file that is not the
 * certificate's stops the agent with a reason code.
 */
@DisplayName("SRC-2 OBJ-1 the agent process: a renewal or an enrollment a crash interrupted"
    + " completes at restart; a key of another certificate is refused")
class AgentRenewalProcessTest {
  static AgentFleet fleet;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-renewal-test");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  static Connection db() throws Exception {
    return DriverManager.getConnection(NeguardServer.embeddedUrl(
        fleet.server.dataDir().resolve("db")), "sa", "");
  }

  /** An NE enrolled by its agent, which is then stopped. */
  static AgentFleet.Ne enrolledAndStopped(String id) throws Exception {
    AgentFleet.Ne ne = fleet.ne(id).configure("mme").start();
    ne.await("enrolled", e -> true);
    ne.await("poll", e -> true);
    ne.stop();
    return ne;
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 the server issued the new certificate, the agent died before saving"
      + " it: restarted, the agent authenticates with the old one, reuses its pending key and"
      + " completes the renewal; the old certificate is then refused")
  void agent_crashAfterIssueBeforeSave_restartCompletesRenewal() throws Exception {
    AgentFleet.Ne ne = enrolledAndStopped("ne-renew");
    Path idDir = ne.state().resolve("identity");
    DeviceIdentity old = DeviceIdentity.load(idDir);
    try (Connection c = db()) {
      TestDevice.dueForRenewal(c, old.serial());
    }
    // The agent's first two steps, then the crash: the pending key saved, the server's answer
    // lost.
    KeyPair pending = DeviceIdentity.newKeyPair();
    DeviceIdentity.savePending(idDir, pending);
    DeviceIdentity lost = DeviceClient.of(fleet.server.deviceUrl(), old).requestRenewal(pending);
    assertThat(fleet.device("ne-renew").path("certificateSerial").asText())
        .isEqualTo(lost.serial());

    ne.start();
    ne.await("renewal_interrupted", e -> e.path("pendingKey").asText().startsWith("kept"));
    var renewed = ne.await("certificate_renewed",
        e -> e.path("pendingKey").asText().equals("reused"));
    DeviceIdentity saved = DeviceIdentity.load(idDir);
    assertThat(saved.serial()).isEqualTo(renewed.path("serial").asText());
    assertThat(saved.certificate().getPublicKey()).isEqualTo(pending.getPublic());
    assertThat(DeviceIdentity.fileKeys(idDir))
        .containsExactly(DeviceIdentity.keyFile(idDir, pending.getPublic()));
    assertThat(fleet.device("ne-renew").path("certificateSerial").asText())
        .isEqualTo(saved.serial());
    ne.await("poll", e -> true);
    for (DeviceIdentity gone : new DeviceIdentity[] {old, lost}) {
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
          () -> DeviceClient.of(fleet.server.deviceUrl(), gone).orderKeys());
      assertThat(e.status()).as(gone.serial()).isEqualTo(401);
    }
    ne.stop();
  }

  @Test
  @DisplayName("SRC-1 the agent sent its enrollment and died before the answer (the server had"
      + " enrolled it, its token is spent): restarted, it asks again with the pending key and"
      + " the same token, and the server certifies that key again")
  void agent_crashAfterEnrollmentSent_restartIsAnsweredAgainForItsKey() throws Exception {
    AgentFleet.Ne ne = fleet.ne("ne-enroll-lost").configure("mme");
    Path idDir = ne.state().resolve("identity");
    java.util.Properties config = new java.util.Properties();
    try (var in = Files.newBufferedReader(ne.config)) {
      config.load(in);
    }
    String token = config.getProperty("enroll.token");
    // The agent's first steps, then the crash: the pending key saved, the enrollment sent and
    // committed by the server, its answer lost.
    Files.createDirectories(idDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    KeyPair pending = DeviceIdentity.newKeyPair();
    DeviceIdentity.savePending(idDir, pending);
    DeviceClient lost = TestDevice.client(fleet.server.deviceUrl(),
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("caCertificate",
            Files.readString(ne.home.resolve("device-ca.pem"))), pending);
    lost.enroll(token, ne.id, "mme", java.util.List.of(), java.util.List.of());
    assertThat(fleet.device(ne.id).path("certificateSerial").asText())
        .isEqualTo(lost.identity().serial());

    ne.start();
    var enrolled = ne.await("enrolled", e -> true);
    assertThat(enrolled.path("pendingKey").asText()).isEqualTo("reused");
    DeviceIdentity saved = DeviceIdentity.load(idDir);
    assertThat(saved.serial()).isEqualTo(enrolled.path("serial").asText())
        .isNotEqualTo(lost.identity().serial());
    assertThat(saved.certificate().getPublicKey()).isEqualTo(pending.getPublic());
    assertThat(idDir.resolve("renewal.pending")).doesNotExist();
    assertThat(fleet.device(ne.id).path("certificateSerial").asText()).isEqualTo(saved.serial());
    ne.await("poll", e -> true);
    assertThat(catchThrowableOfType(DeviceApiException.class, lost::orderKeys).status())
        .as("the certificate whose answer was lost").isEqualTo(401);
    ne.stop();
  }

  @Test
  @DisplayName("SRC-2 a key file replaced by another key: the agent exits 3 with"
      + " identity_refused IDENTITY_KEY_MISMATCH and sends nothing")
  void agent_keyOfAnotherCertificate_exit3IdentityRefused() throws Exception {
    AgentFleet.Ne ne = enrolledAndStopped("ne-swapped");
    Path idDir = ne.state().resolve("identity");
    DeviceIdentity id = DeviceIdentity.load(idDir);
    Path other = fleet.dir.resolve("foreign-key");
    KeyPair foreign = DeviceIdentity.newKeyPair();
    DeviceIdentity.savePending(other, foreign);
    Files.write(DeviceIdentity.keyFile(idDir, id.keyPair().getPublic()),
        Files.readAllBytes(DeviceIdentity.keyFile(other, foreign.getPublic())));
    long polls = ne.eventNames().stream().filter("poll"::equals).count();

    ne.start();
    assertThat(ne.process.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
    assertThat(ne.process.exitValue()).isEqualTo(3);
    var refused = ne.await("identity_refused",
        e -> e.path("reason").asText().equals("IDENTITY_KEY_MISMATCH"));
    assertThat(refused.path("message").asText()).contains("restore the matching pair")
        .contains("enroll.token");
    assertThat(ne.eventNames().stream().filter("poll"::equals).count()).isEqualTo(polls);
  }
}
