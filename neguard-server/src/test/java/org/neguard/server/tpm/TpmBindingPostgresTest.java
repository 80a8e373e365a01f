package org.neguard.server.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.TpmEnrollment;
import org.neguard.api.attest.TpmActivation;
import org.neguard.api.attest.TpmCredential;
import org.neguard.api.attest.TpmCredentialRequest;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.testing.SoftwareTpm;

/**
 * TPM binding on PostgreSQL with two replicas (127.0.0.1:5432): the challenge lives in the
 * database, so a credential asked of one replica is activated on the other, once; the binding
 * and its refusals are the same on both.
 */
@DisplayName("ATT-1 TPM binding on PostgreSQL, two replicas")
class TpmBindingPostgresTest {
  static String database;
  static TestServer s;
  static NeguardServer replica;
  static SoftwareTpm tpm;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_tpm_");
    String url = TestDb.url(database);
    s = TestServer.start(url);
    replica = NeguardServer.start(ServerConfig.builder(s.dir.resolve("data2")).port(0)
        .quiet(true).database(url, "postgres", "")
        .adminPasswordFile(s.dir.resolve("admin-password")).build());
    tpm = SoftwareTpm.start(s.dir.resolve("swtpm"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (tpm != null) {
        tpm.close();
      }
      if (replica != null) {
        replica.close();
      }
      if (s != null) {
        s.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  @Test
  @DisplayName("ATT-1 credential on one replica, wrong secret refused on the other and the"
      + " credential spent on both; a fresh one activated across replicas binds; rebinding"
      + " refused on either")
  void bindAcrossReplicas() throws Exception {
    TestDevice d = TestDevice.enroll(s, "pg-tpm-1", "henb");
    DeviceClient other = DeviceClient.of(replica.deviceUrl(), d.identity());
    Path state = s.dir.resolve("state");
    TpmEnrollment enrollment = TpmEnrollment.of(tpm.tcti(), state);
    TpmEnrollment.Keys keys = enrollment.keys();
    Base64.Encoder b64 = Base64.getEncoder();
    TpmCredentialRequest request = new TpmCredentialRequest(
        b64.encodeToString(keys.ekPublic()), b64.encodeToString(keys.akPublic()));

    TpmCredential first = d.client.tpmCredential(request);
    byte[] secret = enrollment.activate(Base64.getDecoder().decode(first.credential()));
    byte[] wrong = secret.clone();
    wrong[31] ^= 1;
    assertThat(catchThrowableOfType(DeviceApiException.class, () -> other.tpmActivate(
        new TpmActivation(b64.encodeToString(wrong)))).status()).isEqualTo(403);
    assertThat(catchThrowableOfType(DeviceApiException.class, () -> d.client.tpmActivate(
        new TpmActivation(b64.encodeToString(secret)))).status()).isEqualTo(409);

    TpmCredential second = d.client.tpmCredential(request);
    byte[] secret2 = enrollment.activate(Base64.getDecoder().decode(second.credential()));
    assertThat(other.tpmActivate(new TpmActivation(b64.encodeToString(secret2))).pcr())
        .isEqualTo(14);
    for (DeviceClient c : new DeviceClient[] {d.client, other}) {
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
          () -> c.tpmCredential(request));
      assertThat(e.status()).isEqualTo(409);
      assertThat(e.code()).isEqualTo("CONFLICT");
    }
    assertThat(Files.exists(state.resolve("tpm/ak.tr"))).isTrue();
  }
}
