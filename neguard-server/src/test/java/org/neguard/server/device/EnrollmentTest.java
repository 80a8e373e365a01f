package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.neguard.server.device.TestDevice.auditTail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.device.OrderKey;
import org.neguard.measure.Sha256;
import org.neguard.server.Http;
import org.neguard.server.TestDb;
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
    assertThat(auditTail(s, 20)).contains("\"action\":\"ENROLL\"").contains("device enb-001");
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
    assertThat(auditTail(s, 10)).contains("already used by device twice-1");
  }

  static DeviceClient client(JsonNode token, KeyPair pair) {
    return TestDevice.client(s.server.deviceUrl(), token, pair);
  }

  @Test
  @DisplayName("SRC-1 an enrollment whose answer was lost, asked again with the same token and"
      + " key: the key certified again, the certificate before revoked; another key or id refused")
  void enroll_answerLost_sameKeyCertifiedAgain() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of("labels", List.of("site:lost")));
    String raw = token.path("token").asText();
    KeyPair pair = DeviceIdentity.newKeyPair();
    DeviceClient lost = client(token, pair);
    lost.enroll(raw, "lost-1", "henb", List.of("site:lost"), null);
    String first = lost.identity().serial();

    DeviceClient again = client(token, pair);
    again.enroll(raw, "lost-1", "henb", List.of("site:lost"), null);
    assertThat(again.identity().serial()).isNotEqualTo(first);
    assertThat(again.identity().certificate().getPublicKey()).isEqualTo(pair.getPublic());
    assertThat(again.orderKeys()).isNotEmpty();
    DeviceApiException revoked = catchThrowableOfType(DeviceApiException.class,
        lost::orderKeys);
    assertThat(revoked.status()).as("the certificate whose answer was lost").isEqualTo(401);
    JsonNode device = s.http.get("/api/devices/lost-1", s.adminToken()).json();
    assertThat(device.path("certificateSerial").asText()).isEqualTo(again.identity().serial());
    assertThat(device.path("labels").toString()).contains("site:lost");
    assertThat(auditTail(s, 10)).contains("enrolled again with token " + token.path("id")
        .asText());
    try (Connection c = s.db(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT revocation_reason FROM device_certificates"
            + " WHERE serial = '" + first + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("enrollment answered again");
    }
    // A third time (a second answer lost) is the same rule.
    DeviceClient third = client(token, pair);
    third.enroll(raw, "lost-1", "henb", List.of("site:lost"), null);
    assertThat(third.orderKeys()).isNotEmpty();

    // The token's holder without the device's key, or for another id (even one enrolled with
    // the key it sends, by another token): the token is spent.
    KeyPair otherPair = DeviceIdentity.newKeyPair();
    JsonNode otherToken = TestDevice.token(s, Map.of());
    DeviceClient lost2 = client(otherToken, otherPair);
    lost2.enroll(otherToken.path("token").asText(), "lost-2", "henb", null, null);
    // A CSR that does not verify (signed by another key than the one it carries) is refused as
    // any spent token is, not 400: a spent token's holder learns nothing of its device.
    KeyPair forged = new KeyPair(pair.getPublic(), otherPair.getPrivate());
    Map<String, org.assertj.core.api.ThrowableAssert.ThrowingCallable> attempts =
        new java.util.LinkedHashMap<>();
    attempts.put("a leaked token?", () -> TestDevice.client(s, token).enroll(raw, "lost-1",
        "henb", null, null));
    attempts.put("was already used by device lost-1", () -> client(token, otherPair).enroll(raw,
        "lost-2", "henb", null, null));
    attempts.put("not answered again: its CSR was refused", () -> client(token, forged).enroll(
        raw, "lost-1", "henb", null, null));
    for (var attempt : attempts.entrySet()) {
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class, attempt.getValue());
      assertThat(e.status()).as(attempt.getKey()).isEqualTo(401);
      assertThat(e.code()).isEqualTo("NOT_AUTHENTICATED");
      assertThat(auditTail(s, 3)).contains(attempt.getKey());
    }
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> client(token, pair).enroll(raw, "lost-3", "henb", null, null));
    assertThat(e.status()).isEqualTo(401);
    assertThat(third.orderKeys()).as("refusals change nothing").isNotEmpty();
    assertThat(s.http.get("/api/devices/lost-3", s.adminToken()).status()).isEqualTo(404);
    assertThat(s.http.get("/api/devices/lost-2", s.adminToken()).json()
        .path("certificateSerial").asText()).as("lost-2 untouched")
        .isEqualTo(lost2.identity().serial());
  }

  @Test
  @DisplayName("SRC-1 a device renewed or disabled since its enrollment, or whose token has"
      + " expired, is not enrolled again with its token")
  void enroll_again_afterRenewalDisableOrExpiry_refused() throws Exception {
    for (String id : List.of("renewed-1", "disabled-1", "expired-1")) {
      JsonNode token = TestDevice.token(s, Map.of());
      String raw = token.path("token").asText();
      KeyPair pair = DeviceIdentity.newKeyPair();
      DeviceClient c = client(token, pair);
      c.enroll(raw, id, "henb", null, null);
      if (id.startsWith("renewed")) {
        TestDevice.dueForRenewal(s, c.identity().serial());
        // Renewed for the same key, so that only the renewal tells it from a lost answer.
        DeviceIdentity next = c.requestRenewal(pair);
        // The renewed certificate used: the one before revoked (superseded).
        assertThat(DeviceClient.of(s.server.deviceUrl(), next).orderKeys()).isNotEmpty();
      } else if (id.startsWith("disabled")) {
        assertThat(s.http.post("/api/devices/" + id + "/disable", s.adminToken(),
            Map.of("reason", "stolen")).status()).isEqualTo(200);
      } else {
        try (Connection db = s.db(); java.sql.PreparedStatement ps = db.prepareStatement(
            "UPDATE enrollment_tokens SET expires_at = ? WHERE id = ?")) {
          ps.setObject(1, java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(1));
          ps.setString(2, token.path("id").asText());
          assertThat(ps.executeUpdate()).isEqualTo(1);
        }
      }
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
          () -> client(token, pair).enroll(raw, id, "henb", null, null));
      assertThat(e.status()).as(id).isEqualTo(401);
      assertThat(auditTail(s, 5)).as(id).contains("was already used by device " + id)
          .contains(Map.of("renewed-1", "renewed its certificate since", "disabled-1",
              "the device is disabled", "expired-1", "the token expired at").get(id));
    }
  }

  @Test
  @DisplayName("SRC-1 an enrollment retried while its first attempt still held the token, on"
      + " the embedded database: it waits for that attempt, finds the token spent by its own"
      + " device and key, and is answered again")
  void enroll_retryWaitingForItsFirstAttempt_answeredAgain() throws Exception {
    // DevicePostgresTest.enrollAgain_whileTheFirstIsInItsTransaction_answeredOnceItCommits is
    // the same on PostgreSQL; here H2's UPDATE must read the token again after the wait.
    JsonNode token = TestDevice.token(s, Map.of());
    KeyPair pair = DeviceIdentity.newKeyPair();
    ExecutorService retries = Executors.newSingleThreadExecutor();
    try (Connection first = s.db(); Connection c = s.db()) {
      // The first attempt, played by hand up to its commit: the token spent by the device, the
      // device's row with the key. The retry reads the token unspent and no device, then waits
      // for the token's row at its spend.
      first.setAutoCommit(false);
      try (java.sql.PreparedStatement st = first.prepareStatement("UPDATE enrollment_tokens"
          + " SET used_at = CURRENT_TIMESTAMP, used_by_device = 'held-1' WHERE id = ?")) {
        st.setString(1, token.path("id").asText());
        assertThat(st.executeUpdate()).isEqualTo(1);
      }
      try (java.sql.PreparedStatement st = first.prepareStatement("INSERT INTO devices (id,"
          + " ne_type, trust_state, enrolled_at, enrollment_token, cert_serial, cert_not_after,"
          + " cert_key_sha256, trust_changed_at, trust_reason) VALUES ('held-1', 'henb',"
          + " 'unknown', CURRENT_TIMESTAMP, ?, 'first-attempt', CURRENT_TIMESTAMP, ?,"
          + " CURRENT_TIMESTAMP, 'enrolled')")) {
        st.setString(1, token.path("id").asText());
        st.setString(2, Sha256.hex(pair.getPublic().getEncoded()));
        assertThat(st.executeUpdate()).isEqualTo(1);
      }
      String holder;
      try (ResultSet rs = first.createStatement().executeQuery("SELECT SESSION_ID()")) {
        rs.next();
        holder = rs.getString(1);
      }
      DeviceClient retry = client(token, pair);
      Future<?> answer = retries.submit(() -> {
        retry.enroll(token.path("token").asText(), "held-1", "henb", null, null);
        return null;
      });
      TestDb.awaitBlocked(s::db, "the retry at the token's row",
          b -> b.blockers().contains(holder));
      first.commit();

      answer.get(60, TimeUnit.SECONDS);
      assertThat(retry.identity().certificate().getPublicKey()).isEqualTo(pair.getPublic());
      assertThat(retry.orderKeys()).as("admitted with the certificate answered again")
          .isNotEmpty();
      assertThat(s.http.get("/api/devices/held-1", s.adminToken()).json()
          .path("certificateSerial").asText()).isEqualTo(retry.identity().serial());
      assertThat(auditTail(s, 10)).contains("enrolled again with token "
          + token.path("id").asText());
    } finally {
      retries.shutdownNow();
    }
  }

  @Test
  @DisplayName("SRC-1 one token, ten enrollments at once: exactly one device is enrolled")
  void enrollmentToken_concurrentUse_exactlyOneWins() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        String id = "race-" + i;
        answers.add(pool.submit(() -> {
          DeviceClient c = TestDevice.client(s, token);
          go.await();
          try {
            c.enroll(token.path("token").asText(), id, "henb", null, null);
            return 201;
          } catch (DeviceApiException e) {
            return e.status();
          }
        }));
      }
      go.countDown();
      List<Integer> statuses = new ArrayList<>();
      for (Future<Integer> f : answers) {
        statuses.add(f.get(2, TimeUnit.MINUTES));
      }
      assertThat(statuses).filteredOn(x -> x == 201).hasSize(1);
      assertThat(statuses).filteredOn(x -> x == 401).hasSize(9);
    } finally {
      pool.shutdownNow();
    }
    assertThat(s.http.get("/api/devices", s.adminToken()).json().findValuesAsText("id"))
        .filteredOn(id -> id.startsWith("race-")).hasSize(1);
  }

  @Test
  @DisplayName("SRC-1 an enrollment token is shown once and stored as its SHA-256 only")
  void enrollmentToken_storedHashedOnly() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of("labels", List.of("a", "b")));
    String raw = token.path("token").asText();
    assertThat(raw).matches("net_[0-9a-f]{16}_[0-9a-f]{64}");
    String secret = raw.substring(21);
    try (Connection c = s.db(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM enrollment_tokens WHERE id = '"
            + token.path("id").asText() + "'")) {
      assertThat(rs.next()).isTrue();
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.append(rs.getString(i)).append('|');
      }
      assertThat(row.toString()).doesNotContain(secret)
          .contains(Sha256.hex(secret.getBytes(StandardCharsets.US_ASCII)));
    }
    assertThat(auditTail(s, 5)).doesNotContain(secret);
    assertThat(s.http.post("/api/devices/enrollment-tokens", s.token(TestServer.Role.PUBLISHER),
        Map.of()).status()).isEqualTo(403);
    assertThat(s.http.post("/api/devices/enrollment-tokens", s.adminToken(),
        Map.of("ttlMinutes", 10_081)).status()).isEqualTo(400);
    Http.Response defaults = s.http.post("/api/devices/enrollment-tokens", s.adminToken(), null);
    assertThat(defaults.status()).as("no body: every default").isEqualTo(201);
    assertThat(Duration.between(Instant.now(),
        Instant.parse(defaults.json().path("expiresAt").asText())).toMinutes())
        .isBetween(58L, 60L);
  }

  @Test
  @DisplayName("SRC-1 the agents' API is not served on the users' port (404)")
  void deviceEndpoint_onUsersPort_notFound() {
    Http.Response r = s.http.post("/api/device/v1/enroll", null, Map.of("token", "x"));
    assertThat(r.status()).isEqualTo(404);
    assertThat(s.http.get("/api/device/v1/order-keys", s.adminToken()).status()).isEqualTo(404);
  }
}
