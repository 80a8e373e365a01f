package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.audit.AuditLog;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The attestations table's history (docs/ATTESTATION.md, "History"), on a real server's database,
 * embedded and PostgreSQL: routine passes past {@code --attest-pass-history} go once a newer
 * routine pass of the NE exists; everything else stays, and what the server reads from the table
 * (an NE's last result, its silence) is what it was.
 */
@DisplayName("OBJ-2 history: old routine passes go, the evidence that matters stays")
class AttestationHistoryTest {
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  /** Rows of one NE that take more than two of the history's batches. */
  private static final int MANY = 2 * AttestationHistory.BATCH + 500;

  @Test
  void embedded_oldRoutinePasses_deletedTheRestKept() throws Exception {
    try (AttestFixture f = new AttestFixture()) {
      assertHistory(f);
    }
  }

  @Test
  void postgres_oldRoutinePasses_deletedTheRestKept() throws Exception {
    try (AttestFixture f = new AttestFixture(AttestFixture.postgresDatabase())) {
      assertHistory(f);
    }
  }

  @Test
  @DisplayName("ATT-1 the pass a wave's gate read, deleted before its lock: the gate takes the"
      + " newer pass (embedded)")
  void embedded_gatesPassDeletedBeforeItsLock_gateTakesTheNewerPass() throws Exception {
    try (AttestFixture f = new AttestFixture()) {
      assertGateRace(f);
    }
  }

  @Test
  @DisplayName("ATT-1 the pass a wave's gate read, deleted before its lock: the gate takes the"
      + " newer pass (PostgreSQL)")
  void postgres_gatesPassDeletedBeforeItsLock_gateTakesTheNewerPass() throws Exception {
    try (AttestFixture f = new AttestFixture(AttestFixture.postgresDatabase())) {
      assertGateRace(f);
    }
  }

  /**
   * ATT-1: the scheduled pass a wave's gate read is deleted as a routine pass (a newer one came
   * meanwhile) before the gate locks it to keep it. The gate answers with the newer pass, kept,
   * never with an id the table no longer holds. The history's transaction is played by hand and
   * held open until the gate's session waits for it (blocked by that session, not any other), so
   * the gate read the old pass first. The gate runs in a transaction, as a deployment round's.
   */
  private static void assertGateRace(AttestFixture f) throws Exception {
    f.enrollWithApp("race-gate");
    ExecutorService gates = Executors.newSingleThreadExecutor();
    try (Connection c = f.db(); Connection history = f.db()) {
      c.createStatement().executeUpdate("UPDATE devices SET next_attestation_at = NULL"
          + " WHERE id = 'race-gate'");
      Rows read = new Rows(c);
      read.add("rg-read", "race-gate", "SCHEDULED", "PASS", days(2));
      read.flush();
      history.setAutoCommit(false);
      Rows newer = new Rows(history);
      newer.add("rg-newer", "race-gate", "SCHEDULED", "PASS", days(1));
      newer.flush();
      history.createStatement().executeUpdate("DELETE FROM attestations WHERE id = 'rg-read'");

      boolean postgres = c.getMetaData().getDatabaseProductName().equals("PostgreSQL");
      String holder = String.valueOf(count(history, postgres ? "SELECT pg_backend_pid()"
          : "SELECT SESSION_ID()"));
      TransactionTemplate round = new TransactionTemplate(
          f.bean(PlatformTransactionManager.class));
      Pve pve = f.bean(Pve.class);
      Future<PlatformValidation.BeforeUpdate> gate = gates.submit(() -> round.execute(st ->
          pve.beforeUpdate("race-gate", days(3).toInstant(), "dep-race")));
      TestDb.awaitBlocked(f::db, "the gate at the pass it read, deleted by the history",
          b -> b.blockers().contains(holder));
      history.commit();

      PlatformValidation.BeforeUpdate answer = gate.get(30, TimeUnit.SECONDS);
      assertThat(answer.readiness()).isEqualTo(PlatformValidation.Readiness.PASSED);
      assertThat(answer.attestationId()).isEqualTo("rg-newer");
      assertThat(ids(c, "SELECT id FROM attestations_kept WHERE id LIKE 'rg-%'"))
          .containsExactly("rg-newer");
    } finally {
      gates.shutdownNow();
    }
  }

  @Test
  void config_passHistoryOfZero_refused() {
    ServerConfig.Attest d = ServerConfig.Attest.defaults();
    assertThat(d.passHistory()).contains(ServerConfig.Attest.DEFAULT_PASS_HISTORY);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> d.withPassHistory(Optional.of(Duration.ZERO)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass history");
    assertThat(d.withPassHistory(Optional.empty()).passHistory()).isEmpty();
  }

  private static void assertHistory(AttestFixture f) throws Exception {
    AttestationHistory history = f.bean(AttestationHistory.class);
    Attestations attestations = f.bean(Attestations.class);
    AttestationRecords records = f.bean(AttestationRecords.class);
    for (String id : List.of("hist-1", "hist-2", "hist-3", "hist-4", "hist-many",
        "hist-gate")) {
      f.enrollWithApp(id);
    }
    try (Connection c = f.db()) {
      // Out of the scheduler's rounds: only the rows written here.
      c.createStatement().executeUpdate("UPDATE devices SET next_attestation_at = NULL"
          + " WHERE id LIKE 'hist-%'");
      if (c.getMetaData().getDatabaseProductName().equals("PostgreSQL")) {
        // The plan below is read with the statistics this test makes (none): autovacuum's
        // ANALYZE of the rows written here would race it.
        c.createStatement().execute("ALTER TABLE attestations SET (autovacuum_enabled = false)");
      }
      Rows r = new Rows(c);
      r.add("h1-old", "hist-1", "SCHEDULED", "PASS", days(40));         // gone: h1-35 is newer
      r.add("h1-39", "hist-1", "SCHEDULED", "PASS", days(39));          // gone
      r.add("h1-fail", "hist-1", "SCHEDULED", "FAIL", days(38.5));      // a failure: kept
      r.add("h1-asked", "hist-1", "REQUESTED", "PASS", days(38));       // asked by a person: kept
      r.add("h1-ref", "hist-1", "SCHEDULED", "PASS", days(37));         // named by a reference
      r.add("h1-base", "hist-1", "SCHEDULED", "PASS", days(36.5));      // named by a baseline
      r.add("h1-kept", "hist-1", "SCHEDULED", "PASS", days(36));        // it mattered (V25)
      r.add("h1-35", "hist-1", "SCHEDULED", "PASS", days(35));          // gone: h1-2d is newer
      r.add("h1-exp", "hist-1", "SCHEDULED", "EXPIRED", days(3));       // kept
      r.add("h1-2d", "hist-1", "SCHEDULED", "PASS", days(2));           // within the history
      r.add("h1-new", "hist-1", "SCHEDULED", "PASS", days(1));          // its newest pass
      r.add("h2-41", "hist-2", "SCHEDULED", "PASS", days(41));          // gone: h2-newest
      r.add("h2-newest", "hist-2", "SCHEDULED", "PASS", days(40));      // its newest pass: kept
      r.add("h3-old", "hist-3", "SCHEDULED", "PASS", days(40));         // newer is not routine
      r.add("h3-update", "hist-3", "AFTER_UPDATE", "PASS", days(1));    // kept
      r.add("h3-exp1", "hist-3", "SCHEDULED", "EXPIRED", days(0.5));
      r.add("h3-exp2", "hist-3", "SCHEDULED", "EXPIRED", days(0.4));
      r.add("h3-exp3", "hist-3", "SCHEDULED", "EXPIRED", days(0.3));
      r.add("h4-edge", "hist-4", "SCHEDULED", "PASS", days(30));        // at the cutoff: kept
      r.add("h4-new", "hist-4", "SCHEDULED", "PASS", days(1));
      for (int i = 0; i < MANY; i++) { // judged a minute apart, all older than the history
        r.add("hm-" + i, "hist-many", "SCHEDULED", "PASS", days(60).plusSeconds(60L * i));
      }
      r.add("hg-45", "hist-gate", "SCHEDULED", "PASS", days(45));       // gone: hg-40 newer
      r.add("hg-40", "hist-gate", "SCHEDULED", "PASS", days(40));       // let an update through
      r.flush();
      c.createStatement().executeUpdate("INSERT INTO attestations_kept (id) VALUES"
          + " ('h1-kept')");
      // ATT-1: the wave's gate accepts the NE's newest pass, which then stays for good.
      PlatformValidation.BeforeUpdate gate = f.bean(Pve.class).beforeUpdate("hist-gate",
          days(41).toInstant(), "dep-hist");
      assertThat(gate.readiness()).isEqualTo(PlatformValidation.Readiness.PASSED);
      assertThat(gate.attestationId()).isEqualTo("hg-40");
      Rows later = new Rows(c);
      later.add("hg-new", "hist-gate", "SCHEDULED", "PASS", days(1));
      later.flush();
      try (PreparedStatement st = c.prepareStatement("INSERT INTO device_references (device_id,"
          + " component, reference, digest, attestation_id) VALUES ('hist-1', 'platform:test',"
          + " 'OPERATOR_BASELINE', ?, 'h1-ref')")) {
        st.setString(1, "0".repeat(64));
        st.executeUpdate();
      }
      try (PreparedStatement st = c.prepareStatement("INSERT INTO platform_baselines (id,"
          + " device_id, component, digest, files, state, proposed_at, attestation_id) VALUES"
          + " ('hist-base', 'hist-1', 'platform:other', ?, ?, 'pending', ?, 'h1-base')")) {
        st.setString(1, "1".repeat(64));
        st.setBytes(2, "[]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        st.setObject(3, days(36.5));
        st.executeUpdate();
      }
    }
    assertReadsInIndexOrder(f);
    Map<String, String> lastBefore = lastResults(records);
    Map<String, Boolean> silentBefore = silence(attestations);
    long audited = f.audit("ATTESTATION_HISTORY", "success", "attestations");
    long rows = count(f, "SELECT COUNT(*) FROM attestations");
    // 'forever': the same rows, a year on, all stay.
    AttestationHistory forever = new AttestationHistory(f.bean(JdbcClient.class),
        f.bean(AuditLog.class), f.bean(PlatformTransactionManager.class),
        ServerConfig.builder(f.s.dir).attest(ServerConfig.Attest.defaults()
            .withPassHistory(Optional.empty())).build(), new SimpleMeterRegistry());
    assertThat(forever.runOnce(NOW.plus(Duration.ofDays(365)))).isZero();
    assertThat(count(f, "SELECT COUNT(*) FROM attestations")).isEqualTo(rows);
    // Rows judged before V25 stay: whether they mattered was not recorded. These were all
    // judged before the fixture's database was made; the rest of the test moves the floor.
    AttestationHistory upgraded = new AttestationHistory(f.bean(JdbcClient.class),
        f.bean(AuditLog.class), f.bean(PlatformTransactionManager.class),
        ServerConfig.builder(f.s.dir).attest(ServerConfig.Attest.defaults()).build(),
        new SimpleMeterRegistry());
    assertThat(upgraded.runOnce(NOW)).isZero();
    assertThat(count(f, "SELECT COUNT(*) FROM attestations")).isEqualTo(rows);
    try (Connection c = f.db(); PreparedStatement st = c.prepareStatement(
        "UPDATE attestation_history SET floor_at = ?")) {
      st.setObject(1, days(3650));
      assertThat(st.executeUpdate()).isEqualTo(1);
    }

    // Two runs at once, as two replicas' would be: each row goes once, neither fails.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    int deleted;
    try {
      Callable<Integer> run = () -> history.runOnce(NOW);
      Future<Integer> a = pool.submit(run);
      Future<Integer> b = pool.submit(run);
      deleted = a.get() + b.get();
    } finally {
      pool.shutdownNow();
    }

    List<String> gone = List.of("h1-old", "h1-39", "h1-35", "h2-41", "hg-45");
    assertThat(auditedDeletions(f)).as("every row deleted is in an audit row's count")
        .isEqualTo(deleted);
    assertThat(deleted).as("deleted by the two runs").isEqualTo(gone.size() + MANY - 1);
    try (Connection c = f.db()) {
      List<String> left = ids(c, "SELECT id FROM attestations WHERE device_id IN ('hist-1',"
          + " 'hist-2', 'hist-3', 'hist-4', 'hist-gate') AND judged_at IS NOT NULL AND id LIKE"
          + " 'h%' ORDER BY id");
      assertThat(left).containsExactlyInAnyOrder("h1-fail", "h1-asked", "h1-ref", "h1-base",
          "h1-kept", "h1-exp", "h1-2d", "h1-new", "h2-newest", "h3-old", "h3-update", "h3-exp1",
          "h3-exp2", "h3-exp3", "h4-edge", "h4-new", "hg-40", "hg-new");
      assertThat(ids(c, "SELECT id FROM attestations WHERE device_id = 'hist-many'"))
          .as("each NE's newest pass stays").containsExactly("hm-" + (MANY - 1));
    }
    assertThat(lastResults(records)).as("each NE's last result").isEqualTo(lastBefore);
    assertThat(silence(attestations)).as("each NE's silence").isEqualTo(silentBefore);
    assertThat(silentBefore).containsEntry("hist-3", true);
    long auditRows = f.audit("ATTESTATION_HISTORY", "success", "attestations") - audited;
    assertThat(auditRows).as("a row for each batch that deleted")
        .isBetween((long) Math.ceil((double) deleted / AttestationHistory.BATCH), 8L);
    assertThat(history.runOnce(NOW)).as("nothing left to delete").isZero();
    assertThat(f.audit("ATTESTATION_HISTORY", "success", "attestations") - audited)
        .as("no row for a run that deleted nothing").isEqualTo(auditRows);

    // hist-2's newest pass gets a newer one: it may go now, but an hour on the run reads from
    // shortly before its last cutoff only, where h4-edge (judged at that cutoff) is.
    try (Connection c = f.db()) {
      Rows r = new Rows(c);
      r.add("h2-later", "hist-2", "SCHEDULED", "PASS", days(0.5));
      r.flush();
    }
    assertThat(history.runOnce(NOW.plus(Duration.ofHours(1)))).as("h4-edge").isEqualTo(1);
    assertThat(history.runOnce(NOW.plus(Duration.ofHours(2)))).isZero();
    // A day after the first run, a read from the oldest row: h2-newest.
    assertThat(history.runOnce(NOW.plus(Duration.ofHours(25)))).as("h2-newest").isEqualTo(1);
    try (Connection c = f.db()) {
      assertThat(ids(c, "SELECT id FROM attestations WHERE id IN ('h4-edge', 'h2-newest',"
          + " 'h4-new', 'h2-later')")).containsExactlyInAnyOrder("h4-new", "h2-later");
    }
    assertThat(history.runOnce(NOW.plus(Duration.ofDays(365))))
        .as("a year on, h1-2d goes too: the rest is each NE's newest pass or kept for its own"
            + " sake").isEqualTo(1);
    assertThat(auditedDeletions(f)).isEqualTo(deleted + 3);
  }

  /**
   * A batch's read walks attestations_open from the cursor and stops at its last row: no sort
   * of every row past the cutoff (millions, for a large fleet's month).
   */
  private static void assertReadsInIndexOrder(AttestFixture f) throws Exception {
    StringBuilder plan = new StringBuilder();
    try (Connection c = f.db(); PreparedStatement st = c.prepareStatement("EXPLAIN "
        + AttestationHistory.CANDIDATES)) {
      st.setObject(1, days(30));
      st.setObject(2, days(3650));
      st.setInt(3, AttestationHistory.BATCH);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
    }
    if (plan.indexOf("/* public.attestations_open:") >= 0) { // H2
      assertThat(plan).contains("/* index sorted */");
    } else {
      assertThat(plan).contains("Index Scan using attestations_open on attestations a")
          .doesNotContain("Sort");
    }
  }

  private static long count(AttestFixture f, String sql) throws Exception {
    try (Connection c = f.db()) {
      return count(c, sql);
    }
  }

  private static long count(Connection c, String sql) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The rows the ATTESTATION_HISTORY audit rows say were deleted, summed. */
  private static long auditedDeletions(AttestFixture f) throws Exception {
    long sum = 0;
    try (Connection c = f.db(); ResultSet rs = c.createStatement().executeQuery("SELECT detail"
        + " FROM audit_log WHERE action = 'ATTESTATION_HISTORY' AND actor = 'system'")) {
      while (rs.next()) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
            "^(\\d+) scheduled attestations that passed deleted, of \\d+ read judged from ")
            .matcher(rs.getString(1));
        assertThat(m.find()).as(rs.getString(1)).isTrue();
        sum += Long.parseLong(m.group(1));
      }
    }
    return sum;
  }

  private static OffsetDateTime days(double ago) {
    return NOW.minusSeconds((long) (ago * 86_400)).atOffset(ZoneOffset.UTC);
  }

  private static Map<String, String> lastResults(AttestationRecords records) {
    Map<String, String> last = new HashMap<>();
    for (DeviceTrust t : records.trustStates(null)) {
      if (t.deviceId().startsWith("hist-")) {
        last.put(t.deviceId(), String.valueOf(t.lastResult()));
      }
    }
    return last;
  }

  private static Map<String, Boolean> silence(Attestations attestations) {
    Map<String, Boolean> silent = new HashMap<>();
    for (String id : List.of("hist-1", "hist-2", "hist-3", "hist-many", "hist-gate")) {
      silent.put(id, attestations.silent(id, Pve.SILENCE));
    }
    return silent;
  }

  private static List<String> ids(Connection c, String sql) throws Exception {
    List<String> ids = new ArrayList<>();
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  /** Judged attestation rows written as the server writes them, in one batch. */
  private static final class Rows {
    private final PreparedStatement st;

    Rows(Connection c) throws Exception {
      st = c.prepareStatement("INSERT INTO attestations (id, device_id, nonce, reason,"
          + " requested_by, requested_at, expires_at, judged_at, result) VALUES"
          + " (?, ?, ?, ?, 'schedule', ?, ?, ?, ?)");
    }

    void add(String id, String device, String reason, String result, OffsetDateTime judged)
        throws Exception {
      st.setString(1, id);
      st.setString(2, device);
      st.setString(3, "nonce-" + id);
      st.setString(4, reason);
      st.setObject(5, judged.minusSeconds(30));
      st.setObject(6, judged.plusSeconds(90));
      st.setObject(7, judged);
      st.setString(8, result);
      st.addBatch();
    }

    void flush() throws Exception {
      st.executeBatch();
      st.close();
    }
  }
}
