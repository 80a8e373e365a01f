package org.neguard.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.LockRaceDb;
import org.neguard.server.TestDb;

/**
 * The audit head's lock is the last lock a transaction takes, on a real PostgreSQL. A 10,000-device
 * deployment on two replicas stopped advancing: its scheduler's round appended an audit row, then
 * inserted attestation challenges (whose foreign key locks each device's row), while a device's
 * own request held its row and then asked for the audit head; PostgreSQL aborted one of the two
 * every round. The same two transactions here, step by step.
 */
@DisplayName("SRC-3 audit rows are written last in their transaction: no lock cycle with a device")
class AuditLockOrderPostgresTest {
  private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 12, 5, 12, 0, 0, 0,
      ZoneOffset.UTC);

  private LockRaceDb db;
  private AuditLog audit;

  @BeforeEach
  void createDatabase() throws Exception {
    db = LockRaceDb.create("nga_auditlock_", "", "d1");
    audit = new AuditLog(db.jdbc, db.transactions);
  }

  @AfterEach
  void dropDatabase() throws Exception {
    db.close();
  }

  @Test
  void roundThenDevice_deviceHoldsItsRowAndAsksForTheHead_bothCommitInOrder() throws Exception {
    try (Connection device = db.holder()) {
      // The device's request: its row first, as every device transaction takes it.
      device.createStatement().executeQuery("SELECT id FROM devices WHERE id = 'd1' FOR UPDATE")
          .close();
      // The round: an audit row, then a challenge for the device, which waits for its row.
      Future<Object> round = db.inTransaction(s -> {
        audit.append(AuditEvent.success("system", "DEPLOYMENT_ATTEST", "deployment x",
            "wave 1 of 5"));
        return db.jdbc.sql("INSERT INTO attestations (id, device_id, nonce, reason,"
                + " requested_by, requested_at, expires_at, open_device_id) VALUES ('a1', 'd1',"
                + " 'n1', 'BEFORE_UPDATE', 'system', ?, ?, 'd1')")
            .params(NOW, NOW.plusMinutes(5))
            .update();
      });
      db.awaitBlocked("the round's challenge",
          b -> b.statement().contains("INSERT INTO attestations"));
      // The device's audit row. Had the round taken the head when it asked for its row, this
      // would close the cycle and PostgreSQL would abort one of the two.
      try (PreparedStatement p = device.prepareStatement(
          "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
          ResultSet rs = p.executeQuery()) {
        assertThat(rs.next()).isTrue();
      }
      device.commit();
      round.get(60, TimeUnit.SECONDS);
    }
    assertThat(TestDb.rows(TestDb.connect(db.name),
        "SELECT action FROM audit_log WHERE action = 'DEPLOYMENT_ATTEST'")).hasSize(1);
    assertThat(TestDb.rows(TestDb.connect(db.name), "SELECT id FROM attestations")).hasSize(1);
    assertThat(audit.verify().intact()).isTrue();
  }

  @Test
  void severalRowsInOneTransaction_keepTheirOrder_andNoneWhenItRollsBack() {
    db.tx.executeWithoutResult(s -> {
      audit.append(AuditEvent.success("a", "FIRST", "t", "1"));
      audit.append(AuditEvent.success("a", "SECOND", "t", "2"));
      audit.append(AuditEvent.success("a", "THIRD", "t", "3"));
    });
    db.tx.executeWithoutResult(s -> {
      audit.append(AuditEvent.success("a", "ROLLED_BACK", "t", "4"));
      s.setRollbackOnly();
    });
    assertThat(audit.list(0, 100)).extracting(r -> r.action())
        .containsSubsequence("FIRST", "SECOND", "THIRD")
        .doesNotContain("ROLLED_BACK");
    assertThat(audit.verify().intact()).isTrue();
  }
}
