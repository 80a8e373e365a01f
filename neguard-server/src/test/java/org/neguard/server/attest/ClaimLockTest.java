package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.server.NeguardServer;
import org.neguard.server.TestDb;

/**
 * OBJ-2 at fleet scale: the attestation scheduler's claim ({@link AttestationScheduler#DUE},
 * then {@link AttestationScheduler#claim}) locks the batch it returns and no other due device,
 * on H2 and on PostgreSQL. With one {@code SELECT ... ORDER BY ... LIMIT 500 FOR UPDATE SKIP
 * LOCKED} H2 locked every due device to return the first 500: 100,000 due
 * after a restart made a round of 200 such batches that took over 20 minutes, its challenges
 * dated at its start and born expired, and the devices' last-seen writes timed out waiting for
 * the rows (docs/BENCHMARKS.md, issue 15, 100,000 NEs).
 */
@DisplayName("OBJ-2 the scheduler's claim locks its batch, not every due device")
class ClaimLockTest {
  private static final int DUE = 1_200;
  private static final int BATCH = 500;
  /** Whole seconds: the cursor below is computed here and must equal what the row holds. */
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC)
      .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

  @Test
  void h2_claimOfABatch_leavesTheOtherDueDevicesUnlocked(@TempDir Path dir) throws Exception {
    String url = NeguardServer.embeddedUrl(dir);
    migrate(url, "sa");
    try (Connection a = DriverManager.getConnection(url, "sa", "");
        Connection b = DriverManager.getConnection(url, "sa", "")) {
      fill(a, "SET REFERENTIAL_INTEGRITY FALSE");
      try (Statement st = b.createStatement()) {
        st.execute("SET LOCK_TIMEOUT 200");
      }
      assertClaimLocksItsBatchOnly(a, b, "FOR UPDATE");
    }
  }

  @Test
  void postgres_claimOfABatch_leavesTheOtherDueDevicesUnlocked() throws Exception {
    String db = TestDb.create("nga_claim_");
    try {
      migrate(TestDb.url(db), "postgres");
      try (Connection a = TestDb.connect(db); Connection b = TestDb.connect(db)) {
        fill(a, "SET session_replication_role = replica");
        assertClaimLocksItsBatchOnly(a, b, "FOR UPDATE NOWAIT");
      }
    } finally {
      TestDb.drop(db);
    }
  }

  /**
   * In {@code a}'s open transaction, the claim of one batch; then {@code b} locks, one at a time
   * and each in its own transaction, the due devices after the batch (free) and one of the
   * batch (held by {@code a}).
   */
  private static void assertClaimLocksItsBatchOnly(Connection a, Connection b, String lock)
      throws SQLException {
    a.setAutoCommit(false);
    List<String> due = due(a, AttestationScheduler.FIRST, "");
    // The next batch starts right after this one's last device, though two share each second.
    List<String> next = due(a, NOW.minusHours(1).plusSeconds((BATCH - 1) / 2), id(BATCH - 1));
    assertThat(next).hasSize(BATCH).first().isEqualTo(id(BATCH));
    assertThat(next).last().isEqualTo(id(2 * BATCH - 1));
    List<String> claimed = new ArrayList<>();
    try (PreparedStatement p = a.prepareStatement(AttestationScheduler.claim(due.size()))) {
      for (int i = 0; i < due.size(); i++) {
        p.setString(i + 1, due.get(i));
      }
      p.setObject(due.size() + 1, NOW);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          claimed.add(rs.getString(1));
        }
      }
    }
    assertThat(claimed).isEqualTo(due);
    assertThat(claimed).hasSize(BATCH).first().isEqualTo(id(0));
    assertThat(claimed).last().isEqualTo(id(BATCH - 1));
    b.setAutoCommit(false);
    for (int i : new int[] {BATCH, DUE / 2, DUE - 1}) {
      assertThat(lockedBy(b, id(i), lock)).as("due device %s, after the batch", id(i))
          .isEqualTo(id(i));
      b.commit();
    }
    assertThatThrownBy(() -> lockedBy(b, id(BATCH / 2), lock)).as("a device of the batch")
        .isInstanceOf(SQLException.class);
    b.rollback();
    a.rollback();
  }

  /** {@link AttestationScheduler#DUE} after the cursor ({@code at}, {@code id}). */
  private static List<String> due(Connection c, OffsetDateTime at, String id)
      throws SQLException {
    List<String> due = new ArrayList<>();
    try (PreparedStatement p = c.prepareStatement(AttestationScheduler.DUE)) {
      p.setObject(1, NOW);
      p.setObject(2, at);
      p.setObject(3, at);
      p.setString(4, id);
      p.setInt(5, BATCH);
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          due.add(rs.getString(1));
        }
      }
    }
    return due;
  }

  private static String lockedBy(Connection c, String id, String lock) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT id FROM devices WHERE id = ? " + lock)) {
      p.setString(1, id);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static String id(int i) {
    return String.format("d%05d", i);
  }

  private static void migrate(String url, String user) {
    Flyway.configure().dataSource(url, user, "").locations("classpath:db/migration").load()
        .migrate();
  }

  /** {@link #DUE} trusted devices, due two a second in id order, the first an hour ago. */
  private static void fill(Connection c, String noForeignKeys) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(noForeignKeys);
    }
    try (PreparedStatement p = c.prepareStatement("INSERT INTO devices (id, ne_type,"
        + " trust_state, enrolled_at, enrollment_token, cert_serial, cert_not_after,"
        + " next_attestation_at) VALUES (?, 'mme', 'trusted', ?, ?, ?, ?, ?)")) {
      for (int i = 0; i < DUE; i++) {
        p.setString(1, id(i));
        p.setObject(2, NOW.minusDays(1));
        p.setString(3, "t" + i);
        p.setString(4, "s" + i);
        p.setObject(5, NOW.plusDays(300));
        p.setObject(6, NOW.minusHours(1).plusSeconds(i / 2));
        p.addBatch();
      }
      p.executeBatch();
    }
  }
}
