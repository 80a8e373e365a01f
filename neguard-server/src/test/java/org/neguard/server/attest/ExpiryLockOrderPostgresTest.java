package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.LockRaceDb;
import org.neguard.server.TestDb;
import org.springframework.jdbc.core.JdbcTemplate;

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

  private LockRaceDb db;
  private Attestations attestations;

  @BeforeEach
  void createDatabase() throws Exception {
    db = LockRaceDb.create("nga_expirylock_", "", "d1", "d2");
    attestations = new Attestations(db.jdbc, new JdbcTemplate(db.dataSource),
        new ObjectMapper());
  }

  @AfterEach
  void dropDatabase() throws Exception {
    db.close();
  }

  @Test
  void expire_whileTheDevicesEvidenceHoldsItsRow_waitsThenLeavesTheJudgedChallenge()
      throws Exception {
    Attestations.Row asked = db.tx.execute(s -> attestations.ask("d1", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.minusSeconds(60)));
    try (Connection evidence = db.holder()) {
      // The evidence's transaction (Pve): the device's row first.
      evidence.createStatement().executeQuery("SELECT id FROM devices WHERE id = 'd1' FOR"
          + " UPDATE").close();
      // The scheduler's expiry round: the challenge is overdue; then, as Pve.unanswered does,
      // the device's row to count its silence.
      Future<List<Attestations.Row>> expiry = db.inTransaction(s -> {
        List<Attestations.Row> expired = attestations.expireBatch(NOW, 500).judged();
        db.jdbc.sql("SELECT id FROM devices WHERE id = 'd1' FOR UPDATE").query(String.class)
            .list();
        return expired;
      });
      db.awaitBlocked("the expiry", b -> b.statement().contains("FROM devices"));
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
    assertThat(TestDb.rows(TestDb.connect(db.name), "SELECT result FROM attestations"))
        .singleElement().satisfies(r -> assertThat(r.get("result")).isEqualTo("PASS"));
  }

  @Test
  void expire_overdueChallenges_markedOnceAndReturned() {
    Attestations.Row a = db.tx.execute(s -> attestations.ask("d1", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.minusSeconds(60)));
    Attestations.Row b = db.tx.execute(s -> attestations.ask("d2", "SCHEDULED", null, null,
        "schedule", NOW.minusSeconds(120), NOW.plusSeconds(60)));
    List<Attestations.Row> first = db.tx.execute(s -> attestations.expireBatch(NOW, 500).judged());
    List<Attestations.Row> again = db.tx.execute(s -> attestations.expireBatch(NOW, 500).judged());
    assertThat(first).extracting(Attestations.Row::id).containsExactly(a.id());
    assertThat(again).isEmpty();
    assertThat(attestations.find(b.id())).hasValueSatisfying(r -> assertThat(r.id())
        .isEqualTo(b.id()));
  }
}
