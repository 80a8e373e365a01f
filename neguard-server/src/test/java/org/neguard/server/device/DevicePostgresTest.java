package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
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
import org.neguard.server.Http;
import org.neguard.server.NeguardServer;
import org.neguard.server.PostgresReplicas;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;

/**
 * Devices on PostgreSQL with two replicas (127.0.0.1:5432, trust authentication): the device CA
 * is one for both, so a device enrolled through one is admitted by the other, and a disable on
 * one refuses the device on the other at its next request. Each run creates its own database.
 */
@DisplayName("SRC-1 OBJ-1 devices on PostgreSQL, two replicas")
class DevicePostgresTest {
  static PostgresReplicas pg;
  static String database;
  static TestServer s;
  static NeguardServer replica;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresReplicas.start("neguard_dev_");
    database = pg.database();
    s = pg.first();
    replica = pg.second();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  @DisplayName("ATT-1 OBJ-1 the poll's 304 path on PostgreSQL, its ETag's inputs read with the"
      + " admission: 304 on both replicas, and a renewal due since the ETag ends the 304s")
  void poll_304Path_onPostgres() throws Exception {
    TestDevice d = TestDevice.enroll(s, "pg-fold-1", "henb");
    // From first contact on, the scheduler opens nothing more: only the test changes the state.
    String before = d.firstContact().etag();
    assertThat(d.client.poll(before).changed()).as("the control: 304").isFalse();
    TestDevice.dueForRenewal(s, d.identity().serial());
    DeviceClient.PollAnswer due = d.client.poll(before);
    assertThat(due.changed()).as("a renewal due since the ETag: not 304").isTrue();
    assertThat(due.poll().renewCertificate()).isTrue();
    assertThat(DeviceClient.of(replica.deviceUrl(), d.identity()).poll(due.etag()).changed())
        .as("the other replica's 304 path reads the same state").isFalse();
  }

  /** One attempt of an agent: enrolls {@code id} at {@code url} with {@code pair}. */
  static DeviceClient enroll(URI url, JsonNode token, KeyPair pair, String id) throws Exception {
    DeviceClient c = TestDevice.client(url, token, pair);
    c.enroll(token.path("token").asText(), id, "henb", null, null);
    return c;
  }

  @Test
  @DisplayName("SRC-1 a lost enrollment answer asked again on both replicas at once: each"
      + " answer certifies the key, one certificate stays current, the others are revoked")
  void enrollAgain_onBothReplicasAtOnce_oneCurrentCertificate() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of());
    KeyPair pair = DeviceIdentity.newKeyPair();
    enroll(s.server.deviceUrl(), token, pair, "pg-again");
    List<URI> urls = List.of(s.server.deviceUrl(), replica.deviceUrl());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<DeviceClient> answered = new ArrayList<>();
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<DeviceClient>> futures = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        URI url = urls.get(i % 2);
        futures.add(pool.submit(() -> {
          go.await();
          return enroll(url, token, pair, "pg-again");
        }));
      }
      go.countDown();
      for (Future<DeviceClient> f : futures) {
        answered.add(f.get(2, TimeUnit.MINUTES));
      }
    } finally {
      pool.shutdownNow();
    }
    List<String> unrevoked = new ArrayList<>();
    String current;
    try (Connection c = TestDb.connect(database); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT serial FROM device_certificates WHERE"
          + " device_id = 'pg-again' AND revoked_at IS NULL")) {
        while (rs.next()) {
          unrevoked.add(rs.getString(1));
        }
      }
      try (ResultSet rs = st.executeQuery(
          "SELECT cert_serial FROM devices WHERE id = 'pg-again'")) {
        assertThat(rs.next()).isTrue();
        current = rs.getString(1);
      }
    }
    assertThat(unrevoked).containsExactly(current);
    DeviceClient holder = answered.stream()
        .filter(c -> c.identity().serial().equals(current)).findFirst().orElseThrow();
    assertThat(DeviceClient.of(replica.deviceUrl(), holder.identity()).orderKeys()).isNotEmpty();
    assertThat(answered).extracting(c -> c.identity().serial()).doesNotHaveDuplicates();
  }

  /**
   * The agent's retry of an enrollment whose first request is still in its transaction (its
   * read timed out while the server waited, say, for the audit log's head): the retry reads the
   * token unspent, then waits at the token's row; once the first commits, the token is spent by
   * this device, and the retry is answered again rather than refused.
   */
  @Test
  @DisplayName("SRC-1 an enrollment asked again while the first is still in its transaction,"
      + " on the other replica: answered once the first commits, not refused")
  void enrollAgain_whileTheFirstIsInItsTransaction_answeredOnceItCommits() throws Exception {
    JsonNode token = TestDevice.token(s, Map.of());
    KeyPair pair = DeviceIdentity.newKeyPair();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (Connection hold = TestDb.connect(database)) {
      TestDb.holdLocks(hold, "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
      Future<DeviceClient> first = threads.submit(
          () -> enroll(s.server.deviceUrl(), token, pair, "pg-retry"));
      TestDb.Blocked atAudit = TestDb.awaitBlocked(() -> TestDb.connect(database),
          "the first enrollment at its audit row",
          b -> b.wrote() && b.statement().contains("audit_head"));
      Future<DeviceClient> retry = threads.submit(
          () -> enroll(replica.deviceUrl(), token, pair, "pg-retry"));
      TestDb.awaitBlocked(() -> TestDb.connect(database), "the retry at the token's row",
          b -> !b.id().equals(atAudit.id()) && b.statement().contains("enrollment_tokens"));
      hold.rollback();
      String firstSerial = first.get(1, TimeUnit.MINUTES).identity().serial();
      DeviceClient answered = retry.get(1, TimeUnit.MINUTES);
      assertThat(answered.identity().serial()).isNotEqualTo(firstSerial);
      assertThat(DeviceClient.of(s.server.deviceUrl(), answered.identity()).orderKeys())
          .isNotEmpty();
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @DisplayName("SRC-1 OBJ-1 enrolled on one replica, admitted by the other, disabled at once on"
      + " both; renewal and last_seen on PostgreSQL")
  void enrollRenewDisable_acrossReplicas() throws Exception {
    TestDevice d = TestDevice.enroll(s, "pg-dev-1", "henb", "site:pg");
    DeviceClient other = DeviceClient.of(replica.deviceUrl(), d.identity());
    assertThat(other.orderKeys()).isNotEmpty();
    try (Connection c = TestDb.connect(database)) {
      TestDevice.dueForRenewal(c, d.identity().serial());
    }
    other.renew();
    assertThat(d.client.identity().serial()).as("the first client still holds the old one")
        .isNotEqualTo(other.identity().serial());
    // The new certificate's first use, on the replica, ends the old one's grace on both.
    assertThat(other.orderKeys()).isNotEmpty();
    DeviceApiException stale = catchThrowableOfType(DeviceApiException.class,
        d.client::orderKeys);
    assertThat(stale.status()).isEqualTo(401);
    assertThat(DeviceClient.of(s.server.deviceUrl(), other.identity()).orderKeys())
        .isNotEmpty();

    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!s.http.get("/api/devices/pg-dev-1", s.adminToken()).json().path("lastSeen")
        .isTextual()) {
      assertThat(System.nanoTime()).as("last_seen within 20 s").isLessThan(deadline);
      Thread.sleep(100);
    }

    Http.Response r = s.http.post("/api/devices/pg-dev-1/disable", s.adminToken(),
        Map.of("reason", "decommissioned"));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    DeviceApiException refused = catchThrowableOfType(DeviceApiException.class,
        other::orderKeys);
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.code()).isEqualTo("DEVICE_DISABLED");
  }
}
