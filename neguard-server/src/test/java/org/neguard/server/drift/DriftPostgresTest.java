package org.neguard.server.drift;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
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
  static String database;
  static TestServer s;
  static WebhookReceiver hook;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_drift_");
    hook = new WebhookReceiver();
    s = TestServer.start(TestDb.url(database), b -> b.alertWebhook(hook.url()));
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
}
