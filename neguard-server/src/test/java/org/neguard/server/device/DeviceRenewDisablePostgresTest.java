package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.server.Http;
import org.neguard.server.PostgresReplicas;
import org.neguard.server.TestDb;

/**
 * A renewal and a disable of one device at once, on PostgreSQL with two replicas (the renewal
 * through one, the disable through the other), each order forced with real row locks: the
 * test holds the audit log's head, so the first of the two stops at its audit row inside its
 * transaction, and the second is seen waiting for the first's lock on the device before the
 * test lets go. Whichever comes first, a disabled device ends with no valid certificate.
 */
@DisplayName("SRC-1 renewal and disable of one device at once, on PostgreSQL")
class DeviceRenewDisablePostgresTest {
  static PostgresReplicas pg;
  ExecutorService threads;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresReplicas.start("neguard_ren_");
  }

  /** Both servers stopped, the database dropped. */
  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @BeforeEach
  void pool() {
    threads = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void shutdown() {
    threads.shutdownNow();
  }

  static Connection db() throws java.sql.SQLException {
    return pg.db();
  }

  /** A connection in a transaction holding the audit log's head: every audit row waits. */
  static Connection holdingAuditLog() throws Exception {
    Connection c = db();
    TestDb.holdLocks(c, "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
    return c;
  }

  /** The session stopped at its audit row, its transaction having written already. */
  static TestDb.Blocked atAuditRow(String what) throws Exception {
    return TestDb.awaitBlocked(DeviceRenewDisablePostgresTest::db, what,
        b -> b.wrote() && b.statement().contains("audit_head"));
  }

  /** A device due for renewal, its client on the replica. */
  static DeviceClient dueDevice(String id) throws Exception {
    TestDevice d = TestDevice.enroll(pg.first(), id, "henb");
    try (Connection c = db()) {
      TestDevice.dueForRenewal(c, d.identity().serial());
    }
    return DeviceClient.of(pg.second().deviceUrl(), d.identity());
  }

  Future<Http.Response> disable(String id) {
    String admin = pg.first().adminToken();
    return threads.submit(() -> pg.first().http.post("/api/devices/" + id + "/disable", admin,
        Map.of("reason", "stolen")));
  }

  static List<Map<String, Object>> certificates(String id) throws Exception {
    return TestDb.rows(db(), "SELECT serial, revoked_at, revocation_reason FROM"
        + " device_certificates WHERE device_id = ? ORDER BY issued_at", id);
  }

  @Test
  @DisplayName("SRC-1 a device disabled while its renewal is under way: the renewal waits for"
      + " the disable's lock on the device, then is refused 403 DEVICE_DISABLED; no certificate"
      + " is issued and none stays valid")
  void renew_disabledMeanwhile_refusedDeviceDisabledNoValidCertificate() throws Exception {
    DeviceClient device = dueDevice("rd-1");
    String old = device.identity().serial();
    Future<Http.Response> disabled;
    Future<Throwable> renewal;
    TestDb.Blocked first;
    TestDb.Blocked second;
    try (Connection hold = holdingAuditLog()) {
      disabled = disable("rd-1");
      first = atAuditRow("the disable");
      renewal = threads.submit(() -> catchThrowable(device::renew));
      second = TestDb.awaitBlocked(DeviceRenewDisablePostgresTest::db, "the renewal",
          b -> !b.id().equals(first.id()) && b.statement().contains("devices"));
      hold.commit();
    }
    assertThat(disabled.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
    Throwable refused = renewal.get(60, TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(DeviceApiException.class);
    assertThat(((DeviceApiException) refused).status()).isEqualTo(403);
    assertThat(((DeviceApiException) refused).code()).isEqualTo("DEVICE_DISABLED");
    assertThat(second.statement()).as("the renewal waited for the device's row")
        .contains("FROM devices").contains("FOR UPDATE");
    assertThat(second.blockers()).as("...held by the disable").containsExactly(first.id());

    assertThat(certificates("rd-1")).as("nothing issued, the old one revoked").singleElement()
        .satisfies(c -> {
          assertThat(c.get("serial")).isEqualTo(old);
          assertThat(c.get("revoked_at")).isNotNull();
        });
    assertThat(TestDb.rows(db(), "SELECT cert_serial FROM devices WHERE id = 'rd-1'").get(0))
        .containsEntry("cert_serial", old);
    assertThat(TestDb.rows(db(), "SELECT outcome, detail FROM audit_log WHERE action ="
        + " 'RENEW_CERTIFICATE' AND actor = 'device rd-1'")).singleElement()
        .satisfies(r -> {
          assertThat(r.get("outcome")).isEqualTo("denied");
          assertThat((String) r.get("detail")).startsWith("DEVICE_DISABLED")
              .contains("while its renewal was under way");
        });
  }

  @Test
  @DisplayName("SRC-1 a renewal under way when the device is disabled: the disable waits for"
      + " the renewal's lock on the device, then revokes the certificate it issued too")
  void disable_renewalUnderWay_revokesTheRenewedCertificate() throws Exception {
    DeviceClient device = dueDevice("rd-2");
    Future<DeviceIdentity> renewal;
    Future<Http.Response> disabled;
    TestDb.Blocked first;
    TestDb.Blocked second;
    try (Connection hold = holdingAuditLog()) {
      renewal = threads.submit(device::renew);
      first = atAuditRow("the renewal");
      disabled = disable("rd-2");
      second = TestDb.awaitBlocked(DeviceRenewDisablePostgresTest::db, "the disable",
          b -> !b.id().equals(first.id()) && b.statement().contains("devices"));
      hold.commit();
    }
    DeviceIdentity renewed = renewal.get(60, TimeUnit.SECONDS);
    assertThat(disabled.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(second.statement()).as("the disable waited for the device's row")
        .contains("FROM devices").contains("FOR UPDATE");
    assertThat(second.blockers()).as("...held by the renewal").containsExactly(first.id());

    assertThat(certificates("rd-2")).hasSize(2).allSatisfy(c ->
        assertThat(c.get("revoked_at")).as("%s", c).isNotNull());
    assertThat(certificates("rd-2")).filteredOn(c -> renewed.serial().equals(c.get("serial")))
        .singleElement().satisfies(c ->
            assertThat(c.get("revocation_reason")).isEqualTo("device disabled"));
    DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
        () -> DeviceClient.of(pg.first().server.deviceUrl(), renewed).orderKeys());
    assertThat(e.status()).isEqualTo(403);
    assertThat(e.code()).isEqualTo("DEVICE_DISABLED");
  }
}
