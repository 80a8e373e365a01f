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
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.server.NeguardServer;
import org.neguard.server.TestDb;

/**
 * OBJ-2 at fleet scale: a device's open challenges ({@link Attestations#OPEN}, on every poll and
 * every answer) are found through attestations_device_open, never through an index of
 * device_id alone (which reads the device's whole history, 288 rows a day at a 5-minute
 * interval) nor of judged_at alone (every open row of the fleet), on H2 and on PostgreSQL,
 * before any statistics and with statistics that mislead: the migrations' schema, the query's
 * plan as each database's EXPLAIN prints it.
 */
@DisplayName("OBJ-2 a device's open challenges are read through attestations_device_open")
class OpenChallengePlanTest {
  private static final int DEVICES = 200;
  private static final int HISTORY = 30;
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);

  /**
   * On the server's file database, and in memory with the same settings: H2 costs the same
   * statistics differently in the two (in memory it took the foreign key's index under the
   * statistics below; the file database did too under the benchmark's fleet, docs/BENCHMARKS.md).
   */
  @Test
  void h2_noStatistics_andStatisticsOfOneRowPerDevice_usesTheOpenIndex(@TempDir Path dir)
      throws Exception {
    String file = NeguardServer.embeddedUrl(dir);
    h2Plans(file);
    h2Plans("jdbc:h2:mem:plan;DB_CLOSE_DELAY=-1" + file.substring(file.indexOf(';')));
  }

  private static void h2Plans(String url) throws Exception {
    migrate(url, "sa");
    try (Connection c = DriverManager.getConnection(url, "sa", "")) {
      fill(c, "SET REFERENTIAL_INTEGRITY FALSE", 1);
      assertUsesOpenIndex(plan(c));
      fill(c, "SET REFERENTIAL_INTEGRITY FALSE", HISTORY);
      // The statistics of an ANALYZE that saw each device once (a fleet's first contacts),
      // kept while the history grew (H2 analyzes again only after 2,000, 4,000, 8,000...
      // changed rows): device_id as good as unique, judged_at and open_device_id as bad as one
      // value. H2 then took the foreign key's index of device_id alone for device_id = ? AND
      // judged_at IS NULL. Set after the rows, so that H2's own ANALYZE cannot undo them.
      try (Statement st = c.createStatement()) {
        st.execute("ALTER TABLE attestations ALTER COLUMN device_id SELECTIVITY 100");
        st.execute("ALTER TABLE attestations ALTER COLUMN judged_at SELECTIVITY 1");
        st.execute("ALTER TABLE attestations ALTER COLUMN expires_at SELECTIVITY 100");
        st.execute("ALTER TABLE attestations ALTER COLUMN open_device_id SELECTIVITY 1");
      }
      // A new session (with the first open, which holds the database and its statistics):
      // the first one's query cache holds the plan made before.
      try (Connection fresh = DriverManager.getConnection(url, "sa", "")) {
        assertUsesOpenIndex(plan(fresh));
        assertScanned(fresh, "/* scanCount: 2 */");
      }
    }
  }

  @Test
  void postgres_noStatistics_andStaleStatistics_usesTheOpenIndex() throws Exception {
    String db = TestDb.create("nga_plan_");
    try {
      migrate(TestDb.url(db), "postgres");
      try (Connection c = TestDb.connect(db)) {
        try (Statement st = c.createStatement()) {
          // Only the statistics this test makes: autovacuum's ANALYZE would race it.
          st.execute("ALTER TABLE attestations SET (autovacuum_enabled = false)");
          st.execute("SET enable_seqscan = off");
        }
        fill(c, "SET session_replication_role = replica", HISTORY);
        assertUsesOpenIndex(plan(c));
        try (Statement st = c.createStatement()) {
          st.execute("TRUNCATE attestations");
        }
        // Statistics of the fleet's first contacts, then its history without a new ANALYZE:
        // PostgreSQL read every open row of the fleet through attestations_open.
        fill(c, "SET session_replication_role = replica", 1);
        try (Statement st = c.createStatement()) {
          st.execute("UPDATE attestations SET judged_at = now(), result = 'PASS',"
              + " open_device_id = NULL");
          st.execute("ANALYZE attestations");
        }
        fill(c, "SET session_replication_role = replica", HISTORY);
        assertUsesOpenIndex(plan(c));
      }
    } finally {
      TestDb.drop(db);
    }
  }

  /** The copy of device_id that the index holds cannot drift from judged_at (V21's CHECK). */
  @Test
  void h2_openRowWithoutItsDevice_refused(@TempDir Path dir) throws Exception {
    String url = NeguardServer.embeddedUrl(dir);
    migrate(url, "sa");
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement st = c.createStatement()) {
      st.execute("SET REFERENTIAL_INTEGRITY FALSE");
      assertThatThrownBy(() -> st.execute("INSERT INTO attestations (id, device_id, nonce,"
          + " reason, requested_by, requested_at, expires_at) VALUES ('x', 'd1', 'n',"
          + " 'SCHEDULED', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
          .isInstanceOf(SQLException.class).hasMessageContaining("attestations_open_device");
      assertThatThrownBy(() -> st.execute("INSERT INTO attestations (id, device_id, nonce,"
          + " reason, requested_by, requested_at, expires_at, judged_at, open_device_id)"
          + " VALUES ('y', 'd1', 'm', 'SCHEDULED', 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
          + " CURRENT_TIMESTAMP, 'd1')"))
          .isInstanceOf(SQLException.class).hasMessageContaining("attestations_open_device");
    }
  }

  private static void migrate(String url, String user) {
    Flyway.configure().dataSource(url, user, "").locations("classpath:db/migration").load()
        .migrate();
  }

  /**
   * {@code perDevice} more attestations of each of {@link #DEVICES} devices, 5 minutes apart:
   * the newest of each open, as the server writes it (open_device_id = device_id), the others
   * judged. {@code noForeignKeys} lets the rows in without the devices' rows.
   */
  private static void fill(Connection c, String noForeignKeys, int perDevice)
      throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(noForeignKeys);
      st.execute("UPDATE attestations SET judged_at = expires_at, result = 'PASS',"
          + " open_device_id = NULL WHERE judged_at IS NULL");
    }
    String insert = "INSERT INTO attestations (id, device_id, nonce, reason, requested_by,"
        + " requested_at, expires_at, judged_at, result, open_device_id)"
        + " VALUES (?, ?, ?, 'SCHEDULED', 'test', ?, ?, ?, ?, ?)";
    try (PreparedStatement p = c.prepareStatement(insert)) {
      for (int d = 0; d < DEVICES; d++) {
        for (int i = perDevice; i >= 1; i--) {
          String id = "at-" + java.util.UUID.randomUUID();
          boolean open = i == 1;
          OffsetDateTime asked = NOW.minusMinutes(5L * i);
          p.setString(1, id);
          p.setString(2, "d" + d);
          p.setString(3, id);
          p.setObject(4, asked);
          p.setObject(5, asked.plusMinutes(10));
          p.setObject(6, open ? null : asked.plusSeconds(1));
          p.setString(7, open ? null : "PASS");
          p.setString(8, open ? "d" + d : null);
          p.addBatch();
        }
      }
      p.executeBatch();
    }
  }

  private static String plan(Connection c) throws SQLException {
    return explain(c, "EXPLAIN ");
  }

  private static String explain(Connection c, String explain) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(explain + Attestations.OPEN)) {
      p.setString(1, "d7");
      p.setObject(2, NOW);
      StringBuilder out = new StringBuilder();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('\n');
        }
      }
      return out.toString();
    }
  }

  /** H2 counts the rows it read: the device's one open row, and the end of the range. */
  private static void assertScanned(Connection c, String scanCount) throws SQLException {
    assertThat(explain(c, "EXPLAIN ANALYZE ")).contains(scanCount);
  }

  private static void assertUsesOpenIndex(String plan) {
    // H2: /* public.attestations_device_open: ... */; PostgreSQL: Index Scan using
    // attestations_device_open (or a bitmap scan of it). Nothing else names an index.
    assertThat(plan).as("plan of %s", Attestations.OPEN).contains("attestations_device_open")
        .doesNotContain("CONSTRAINT_INDEX").doesNotContain("attestations_device ")
        .doesNotContain("attestations_device:").doesNotContain("attestations_open")
        .doesNotContain("Seq Scan");
  }
}
