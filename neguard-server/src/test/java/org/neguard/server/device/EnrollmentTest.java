package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.OrderKey;
import org.neguard.server.Http;
import org.neguard.server.TestServer;

/**
 * Enrollment (SRC-1, OBJ-1): a one-time, expiring token an operator creates; a key pair the
 * device generates; a certificate from the device CA; refusals for every misuse of a token, each
 * recorded with its real reason while nothing changes.
 */
@DisplayName("SRC-1 OBJ-1 device enrollment")
class EnrollmentTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  static String audit(int n) {
    return s.http.get("/api/audit?tail=true&limit=" + n, s.adminToken()).body();
  }

  @Test
  @DisplayName("SRC-1 OBJ-1 an enrolled device is listed and admitted over mutual TLS")
  void enroll_withToken_deviceListedAndAdmittedOverMutualTls() throws Exception {
    TestDevice d = TestDevice.enroll(s, "enb-001", "henb", List.of("site:north"),
        List.of(new InstalledPackage("henb-fw", "1.0.0", 3)));
    List<OrderKey> keys = d.client.orderKeys();
    assertThat(keys).isNotEmpty().allMatch(k -> k.algorithm().equals("ES256"));

    JsonNode device = s.http.get("/api/devices/enb-001", s.token(TestServer.Role.AUDITOR))
        .json();
    assertThat(device.path("neType").asText()).isEqualTo("henb");
    assertThat(device.path("trustState").asText()).isEqualTo("unknown");
    assertThat(device.path("labels").toString()).contains("site:north");
    assertThat(device.path("installed").path(0).path("securityVersion").asLong()).isEqualTo(3);
    assertThat(device.path("certificateSerial").asText()).isEqualTo(d.identity().serial());
    assertThat(d.identity().certificate().getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(d.identity().certificate().getIssuerX500Principal())
        .isEqualTo(d.identity().ca().getSubjectX500Principal());
    assertThat(audit(20)).contains("\"action\":\"ENROLL\"").contains("device enb-001");
  }

  @Test
  @DisplayName("SRC-1 an enrollment token used twice is refused the second time, and recorded")
  void enrollmentToken_usedTwice_refusedAndRecorded() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of());
    DeviceClient first = TestDevice.client(s, token);
    first.enroll(token.path("token").asText(), "twice-1", "henb", null, null);

    DeviceClient second = TestDevice.client(s, token);
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> second.enroll(token.path("token").asText(), "twice-2", "henb", null, null));
    assertThat(e.status()).isEqualTo(401);
    assertThat(e.code()).isEqualTo("NOT_AUTHENTICATED");
    assertThat(s.http.get("/api/devices/twice-2", s.adminToken()).status()).isEqualTo(404);
    assertThat(audit(10)).contains("already used by device twice-1");
  }

  @Test
  @DisplayName("SRC-1 the agents' API is not served on the users' port (404)")
  void deviceEndpoint_onUsersPort_notFound() {
    Http.Response r = s.http.post("/api/device/v1/enroll", null, Map.of("token", "x"));
    assertThat(r.status()).isEqualTo(404);
    assertThat(s.http.get("/api/device/v1/order-keys", s.adminToken()).status()).isEqualTo(404);
  }
}
