package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.TpmDeviceKey;
import org.neguard.agent.TpmPrivateKey;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.server.TestServer;
import org.neguard.testing.SoftwareTpm;

/**
 * A device whose identity key the TPM holds (the agent's {@code tpm.deviceKey=true}) against the
 * real server's agents' port: the real {@link DeviceClient} enrolls with a CSR the TPM signed,
 * polls over mutual TLS whose handshake the TPM signs, and renews into a new TPM key; the key the
 * server certified is the one tpm2_readpublic reads from the blobs, and no private key is ever
 * on disk.
 */
@DisplayName("SRC-2 INT-3 a TPM-held device key on the agents' port")
class TpmDeviceKeyEnrollmentTest {
  static TestServer s;
  static SoftwareTpm tpm;
  static Path dir;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-tpm-device-key-enroll-");
    tpm = SoftwareTpm.start(dir.resolve("swtpm"));
    s = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
    if (tpm != null) {
      tpm.close();
    }
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static byte[] tpmPublic(Path idDir, X509Certificate cert) throws Exception {
    String id = TpmDeviceKey.PREFIX + TpmDeviceKey.id(cert.getPublicKey());
    return tpm.readPublic(idDir.resolve(id + ".pub"), idDir.resolve(id + ".priv"));
  }

  /** Enrolls {@code deviceId} with a key {@code keys} makes, its identity saved in idDir. */
  static DeviceClient enrolled(TpmDeviceKey keys, Path idDir, String deviceId) throws Exception {
    JsonNode token = TestDevice.token(s, Map.of());
    DeviceClient enrolling = DeviceClient.enrolling(s.server.deviceUrl(),
        DeviceClient.Trust.ca(token.path("caCertificate").asText()), keys);
    enrolling.enroll(token.path("token").asText(), deviceId, "henb", List.of(), List.of());
    enrolling.identity().save(idDir);
    return enrolling;
  }

  @Test
  @DisplayName("SRC-2 INT-3 enroll with a TPM key, poll over mutual TLS signed by the TPM (the"
      + " server's current certificate is the one whose key tpm2_readpublic reads), renew into a"
      + " new TPM key; the old certificate is refused; no private key file at any point")
  void enrollPollRenew_withTpmHeldKey() throws Exception {
    Path state = dir.resolve("state");
    Path idDir = state.resolve("identity");
    TpmDeviceKey keys = TpmDeviceKey.of(tpm.tcti(), idDir, null);
    DeviceClient enrolling = enrolled(keys, idDir, "tpm-key-1");
    keys.retainOnly(enrolling.identity().certificate());
    assertThat(SoftwareTpm.privateKeyFiles(state)).isEmpty();

    // As the agent after a restart: the identity loaded through the TPM, then a poll.
    DeviceIdentity id = DeviceIdentity.load(idDir, keys);
    assertThat(id.keyPair().getPrivate()).isInstanceOf(TpmPrivateKey.class);
    DeviceClient client = DeviceClient.of(s.server.deviceUrl(), id, keys);
    assertThat(client.poll(null).changed()).isTrue();
    assertThat(s.http.get("/api/devices/tpm-key-1", s.adminToken()).json()
        .path("certificateSerial").asText()).isEqualTo(id.serial());
    assertThat(id.certificate().getPublicKey().getEncoded())
        .isEqualTo(tpmPublic(idDir, id.certificate()));

    TestDevice.dueForRenewal(s, id.serial());
    assertThat(client.poll(null).poll().renewCertificate()).isTrue();
    DeviceIdentity renewed = client.renewInto(idDir).identity();
    keys.retainOnly(renewed.certificate());
    assertThat(renewed.keyPair().getPrivate()).isInstanceOf(TpmPrivateKey.class);
    assertThat(renewed.keyPair().getPublic()).isNotEqualTo(id.keyPair().getPublic());
    assertThat(renewed.certificate().getPublicKey().getEncoded())
        .isEqualTo(tpmPublic(idDir, renewed.certificate()));
    try (var blobs = Files.list(idDir)) {
      assertThat(blobs.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(TpmDeviceKey.PREFIX) && n.endsWith(".pub")))
          .as("the old key's blobs removed once the new certificate is saved")
          .containsExactly(TpmDeviceKey.PREFIX + TpmDeviceKey.id(renewed.keyPair().getPublic())
              + ".pub");
    }
    DeviceClient after = DeviceClient.of(s.server.deviceUrl(),
        DeviceIdentity.load(idDir, keys), keys);
    assertThat(after.orderKeys()).isNotEmpty();
    assertThat(s.http.get("/api/devices/tpm-key-1", s.adminToken()).json()
        .path("certificateSerial").asText()).isEqualTo(renewed.serial());
    // The old key is gone from the TPM's blobs with its certificate (revoked by the server):
    // it cannot even sign a handshake any more.
    assertThat(catchThrowableOfType(javax.net.ssl.SSLHandshakeException.class,
        () -> DeviceClient.of(s.server.deviceUrl(), id, keys).orderKeys())).isNotNull();
    assertThat(SoftwareTpm.privateKeyFiles(state)).isEmpty();
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a TPM-held key: the server issued the new certificate and the agent"
      + " died before saving it; restarted, the old identity loads through the TPM, the pending"
      + " TPM key is reused and the renewal completes")
  void renew_crashAfterIssueBeforeSave_pendingTpmKeyReused() throws Exception {
    Path state = dir.resolve("state-crash");
    Path idDir = state.resolve("identity");
    TpmDeviceKey keys = TpmDeviceKey.of(tpm.tcti(), idDir, null);
    DeviceClient enrolling = enrolled(keys, idDir, "tpm-key-2");
    DeviceIdentity old = enrolling.identity();
    TestDevice.dueForRenewal(s, old.serial());
    java.security.KeyPair pending = keys.newKeyPair();
    DeviceIdentity.savePending(idDir, pending);
    enrolling.requestRenewal(pending); // the answer lost: nothing else saved

    TpmDeviceKey again = TpmDeviceKey.of(tpm.tcti(), idDir, null);
    DeviceIdentity loaded = DeviceIdentity.load(idDir, again);
    assertThat(loaded.serial()).isEqualTo(old.serial());
    DeviceClient.Renewal r = DeviceClient.of(s.server.deviceUrl(), loaded, again).renewInto(idDir);
    assertThat(r.pendingKey()).isEqualTo("reused");
    assertThat(r.identity().certificate().getPublicKey().getEncoded())
        .isEqualTo(pending.getPublic().getEncoded())
        .isEqualTo(tpmPublic(idDir, r.identity().certificate()));
    again.retainOnly(r.identity().certificate());
    assertThat(DeviceClient.of(s.server.deviceUrl(), DeviceIdentity.load(idDir, again), again)
        .orderKeys()).isNotEmpty();
    assertThat(SoftwareTpm.privateKeyFiles(state)).isEmpty();
  }

  @Test
  @DisplayName("SRC-2 OBJ-1 a TPM-held pending key whose certificate's answer was lost, and a TPM"
      + " that does not answer at the retry: the key is kept (a new key would be refused by the"
      + " server), and the next renewal, the TPM back, reuses it and completes")
  void renew_tpmUnreachableAfterAnswerLost_pendingKeyKeptThenReused() throws Exception {
    Path idDir = dir.resolve("state-down").resolve("identity");
    TpmDeviceKey keys = TpmDeviceKey.of(tpm.tcti(), idDir, null);
    DeviceClient enrolling = enrolled(keys, idDir, "tpm-key-3");
    TestDevice.dueForRenewal(s, enrolling.identity().serial());
    java.security.KeyPair pending = keys.newKeyPair();
    DeviceIdentity.savePending(idDir, pending);
    enrolling.requestRenewal(pending); // the answer lost: nothing else saved
    DeviceIdentity loaded = DeviceIdentity.load(idDir, keys);

    int closed;
    try (ServerSocket free = new ServerSocket(0)) {
      closed = free.getLocalPort(); // nothing listens once closed: tpm2-tools cannot connect
    }
    TpmDeviceKey down = TpmDeviceKey.of("swtpm:host=127.0.0.1,port=" + closed, idDir, null);
    IOException e = catchThrowableOfType(IOException.class,
        () -> DeviceClient.of(s.server.deviceUrl(), loaded, down).renewInto(idDir));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("kept for the next attempt");
    assertThat(idDir.resolve("renewal.pending")).exists();
    assertThat(idDir.resolve(TpmDeviceKey.PREFIX + TpmDeviceKey.id(pending.getPublic())
        + ".priv")).exists();

    DeviceClient.Renewal r = DeviceClient.of(s.server.deviceUrl(), loaded, keys).renewInto(idDir);
    assertThat(r.pendingKey()).isEqualTo("reused");
    assertThat(r.identity().certificate().getPublicKey().getEncoded())
        .isEqualTo(pending.getPublic().getEncoded());
    assertThat(DeviceClient.of(s.server.deviceUrl(), DeviceIdentity.load(idDir, keys), keys)
        .orderKeys()).isNotEmpty();
  }
}
