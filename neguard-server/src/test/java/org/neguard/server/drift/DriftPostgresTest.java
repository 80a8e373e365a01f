package org.neguard.server.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.WebhookReceiver;

/**
 * Port drift on PostgreSQL (127.0.0.1:5432, trust authentication): the policies, inventories and
 * findings tables, the device lock and the pruning, with the webhook. Each run creates its own
 * database.
 */
@DisplayName("HRD-1 HRD-4 port drift on PostgreSQL")
class DriftPostgresTest {
  static final int BURST = 40;
  static String database;
  static TestServer s;
  static WebhookReceiver hook;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_drift_");
    hook = new WebhookReceiver();
    // A budget of 40 reports per device, none refilled while the tests run.
    s = TestServer.start(TestDb.url(database), b -> b.alertWebhook(hook.url())
        .drift(new ServerConfig.Drift(BURST, Duration.ofHours(1), Duration.ofMinutes(30),
            Duration.ofMinutes(1))));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
      if (hook != null) {
        hook.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  @Test
  @DisplayName("HRD-1 HRD-4 on PostgreSQL: a finding opened (audit, webhook) and resolved when"
      + " the port is shown closed; more inventories than kept are pruned")
  void findingLifecycle_onPostgres() throws Exception {
    DriftTest.findingLifecycle(s, hook, "pg-drift");
    org.neguard.server.device.TestDevice d =
        org.neguard.server.device.TestDevice.enroll(s, "pg-drift-many", "pg-drift-type");
    for (int i = 0; i < DriftJudge.KEEP_INVENTORIES + 5; i++) {
      d.client.reportInventory(DriftFixture.inventory("h", true,
          DriftFixture.tcp("0.0.0.0", 22, 1, "sshd")));
    }
    try (java.sql.Connection c = TestDb.connect(database);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM"
            + " device_inventories WHERE device_id = 'pg-drift-many'")) {
      rs.next();
      org.assertj.core.api.Assertions.assertThat(rs.getInt(1))
          .isEqualTo(DriftJudge.KEEP_INVENTORIES);
    }
  }

  @Test
  @DisplayName("HRD-4 on PostgreSQL: reports of one device sent at once spend one budget, read"
      + " and written under the device's lock: exactly the budget is accepted, the rest 429"
      + " RATE_LIMITED, none stored")
  void inventory_concurrentReports_exactlyTheBudgetAccepted() throws Exception {
    org.neguard.server.device.TestDevice d =
        org.neguard.server.device.TestDevice.enroll(s, "pg-drift-burst", "pg-burst-type");
    byte[] body = DriftFixture.inventory("h", true, DriftFixture.tcp("0.0.0.0", 22, 1, "sshd"));
    int sent = BURST + 20;
    ExecutorService pool = Executors.newFixedThreadPool(12);
    List<Future<Integer>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < sent; i++) {
        answers.add(pool.submit((Callable<Integer>) () -> {
          try {
            d.client.reportInventory(body);
            return 200;
          } catch (DeviceApiException e) {
            assertThat(e.code()).isEqualTo("RATE_LIMITED");
            return e.status();
          }
        }));
      }
      int accepted = 0;
      int throttled = 0;
      for (Future<Integer> f : answers) {
        int status = f.get();
        accepted += status == 200 ? 1 : 0;
        throttled += status == 429 ? 1 : 0;
      }
      assertThat(accepted).isEqualTo(BURST);
      assertThat(throttled).isEqualTo(sent - BURST);
    } finally {
      pool.shutdownNow();
    }
    try (java.sql.Connection c = TestDb.connect(database);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM"
            + " device_inventories WHERE device_id = 'pg-drift-burst'")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(DriftJudge.KEEP_INVENTORIES);
    }
  }

  @Test
  @DisplayName("HRD-4 on PostgreSQL, which refuses a NUL and cannot store a lone surrogate: a"
      + " process name holding both is judged and stored, each as '?', never a 500")
  void inventory_processNameWithNulAndLoneSurrogate_storedOnPostgres() throws Exception {
    org.neguard.server.device.TestDevice d =
        org.neguard.server.device.TestDevice.enroll(s, "pg-drift-names", "pg-names-type");
    assertThat(DriftFixture.upload(s, s.adminToken(), "pg-names-type",
        DriftFixture.policy("pg-names-type", "x")).status()).isEqualTo(201);
    org.neguard.api.device.InventoryVerdict v = d.client.reportInventory(DriftFixture.inventory(
        "h", true, DriftFixture.tcp("0.0.0.0", 4444, 9, "n\u0000c\u202e\ud800")));
    assertThat(v.opened()).extracting(org.neguard.api.device.DriftFinding::process)
        .containsExactly("9 n?c??");
    try (java.sql.Connection c = TestDb.connect(database);
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT process FROM"
            + " drift_findings WHERE device_id = 'pg-drift-names'")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("9 n?c??");
    }
  }
}
