package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestDb;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The expiry of unanswered challenges takes the devices' rows before their challenges, as a
 * device's evidence does, on a real PostgreSQL. Taken the other way round (the challenge judged
 * EXPIRED, then its device locked to count its silence), an expiry and evidence arriving for the
 * same challenge waited for each other; with two replicas at 10,000 devices their attestation
 * rounds failed that way every few seconds.
 */
@DisplayName("ATT-1 REC-1 expiring a challenge while its evidence is judged: no lock cycle")
class ExpiryLockOrderPostgresTest {
  private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

  private String db;
  private Attestations attestations;
  private TransactionTemplate tx;
  private JdbcClient jdbc;
  private ExecutorService thread;

  @BeforeEach
  void createDatabase() throws Exception {
    db = TestDb.createMigrated("nga_expirylock_");
    DataSource ds = TestDb.dataSource(db);
    jdbc = JdbcClient.create(ds);
    attestations = new Attestations(jdbc, new JdbcTemplate(ds), new ObjectMapper());
    tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
    TestDb.insertDevice(db, "d1");
    thread = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void dropDatabase() throws Exception {
    thread.shutdownNow();
    TestDb.drop(db);
  }

  @Test
  void expire_whileTheDevicesEvidenceHoldsItsRow_waitsThenLeavesTheJudgedChallenge()
      throws Exception {
    Attestations.Row asked = tx.execute(s -> attestations.ask("d1", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.minusSeconds(60)));
    try (Connection evidence = TestDb.connect(db)) {
      evidence.setAutoCommit(false);
      try (Statement st = evidence.createStatement()) {
        st.execute("SET lock_timeout = '30s'");
        // The evidence's transaction (Pve): the device's row first.
        st.executeQuery("SELECT id FROM devices WHERE id = 'd1' FOR UPDATE").close();
      }
      // The scheduler's expiry round: the challenge is overdue; then, as Pve.unanswered does,
      // the device's row to count its silence.
      Future<List<Attestations.Row>> expiry = thread.submit(() -> tx.execute(s -> {
        List<Attestations.Row> expired = attestations.expire(NOW, 500);
        jdbc.sql("SELECT id FROM devices WHERE id = 'd1' FOR UPDATE").query(String.class)
            .list();
        return expired;
      }));
      TestDb.awaitBlocked(() -> TestDb.connect(db), "the expiry",
          b -> b.statement().contains("FROM devices"));
      // The evidence judges its challenge. Had the expiry judged it first, this would wait for
      // the expiry while the expiry waits for the device: a cycle PostgreSQL breaks by aborting.
      try (PreparedStatement p = evidence.prepareStatement("UPDATE attestations SET judged_at ="
          + " now(), result = 'PASS', open_device_id = NULL WHERE id = ? AND judged_at IS NULL")) {
        p.setString(1, asked.id());
        assertThat(p.executeUpdate()).isEqualTo(1);
      }
      evidence.commit();
      assertThat(expiry.get(60, TimeUnit.SECONDS)).as("judged by its evidence, not expired")
          .isEmpty();
    }
    assertThat(TestDb.rows(TestDb.connect(db), "SELECT result FROM attestations"))
        .singleElement().satisfies(r -> assertThat(r.get("result")).isEqualTo("PASS"));
  }

  @Test
  void expire_overdueChallenges_markedOnceAndReturned() throws Exception {
    TestDb.insertDevice(db, "d2");
    Attestations.Row a = tx.execute(s -> attestations.ask("d1", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.minusSeconds(60)));
    Attestations.Row b = tx.execute(s -> attestations.ask("d2", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.plusSeconds(60)));
    List<Attestations.Row> first = tx.execute(s -> attestations.expire(NOW, 500));
    List<Attestations.Row> again = tx.execute(s -> attestations.expire(NOW, 500));
    assertThat(first).extracting(Attestations.Row::id).containsExactly(a.id());
    assertThat(again).isEmpty();
    assertThat(attestations.find(b.id())).hasValueSatisfying(r -> assertThat(r.id())
        .isEqualTo(b.id()));
  }
}
