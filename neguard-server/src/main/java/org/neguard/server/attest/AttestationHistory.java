package org.neguard.server.attest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.neguard.server.PeriodicTask;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps a fleet's routine passes from filling the database (docs/ATTESTATION.md, "History"):
 * every {@link #INTERVAL}, on every replica, the scheduled attestations that passed and were
 * judged more than {@link ServerConfig.Attest#passHistory()} ago are deleted, once a newer
 * scheduled attestation of the same NE passed. 100,000 NEs attested every 5 minutes add 28.8
 * million such rows a day, about 14 GB.
 *
 * <p>What stays, whatever its age: every failure, expiry and pending baseline; every attestation
 * asked by a first contact, a person, a deployment or a readmission; each NE's newest scheduled
 * pass; a scheduled pass that mattered ({@code attestations_kept}, V25: it changed the NE's trust
 * or committed reference, so the audit chain names it, or a wave took it as the NE's attestation
 * before the update, ATT-1); a pass that its NE's committed reference or a platform baseline
 * names; and every row judged before V25 (whether it mattered was not recorded then). So the answers read from the table
 * are those it gave before: an NE's last result (its newest judged attestation is never a routine
 * pass with a newer pass), its silence ({@link Attestations#silent}: a routine pass among an NE's
 * last judged attestations has its newer pass among them too, and stays counted), a deployment's
 * failures. Each batch's deletion is audited in its own transaction ({@code ATTESTATION_HISTORY}:
 * how many, judged when, the cutoff), so no row leaves the table without the hash-chained log
 * saying so. Thread-safe.
 */
@Component
final class AttestationHistory implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(AttestationHistory.class);
  /** How often each replica looks; the first look is one interval after the start. */
  static final Duration INTERVAL = Duration.ofMinutes(10);
  /**
   * How often a run reads from the oldest row again rather than from shortly before the last
   * run's cutoff: a row a run kept may go later (an NE's newest pass once a newer one exists, a
   * pass its reference no longer names), and the rows kept for good (failures, expiries) only
   * grow, so reading them all every run would cost more each month.
   */
  static final Duration FULL_READ = Duration.ofDays(1);
  /** Rows per transaction. */
  static final int BATCH = 1_000;

  /**
   * What may go, besides the age: a routine pass with a newer routine pass of its NE, named by no
   * committed reference and no baseline. Each subquery reads an index from its NE's id
   * (attestations_device, device_references' key, platform_baselines_device). The newer pass is
   * one asked later and judged later, so the NE's newest judged pass has none.
   */
  static final String DISPOSABLE = " a.reason = 'SCHEDULED' AND a.result = 'PASS'"
      + " AND NOT EXISTS (SELECT 1 FROM attestations_kept k WHERE k.id = a.id)"
      + " AND EXISTS (SELECT 1 FROM attestations n WHERE n.device_id = a.device_id"
      + " AND n.requested_at > a.requested_at AND n.judged_at > a.judged_at"
      + " AND n.reason = 'SCHEDULED' AND n.result = 'PASS')"
      + " AND NOT EXISTS (SELECT 1 FROM device_references r WHERE r.device_id = a.device_id"
      + " AND r.attestation_id = a.id)"
      + " AND NOT EXISTS (SELECT 1 FROM platform_baselines p WHERE p.device_id = a.device_id"
      + " AND p.attestation_id = a.id)";

  /**
   * A batch of candidates, oldest judged first after a cursor, through attestations_open
   * (judged_at first), which holds this order: the read stops at the batch's last row rather
   * than sorting every row past the cutoff. Read without locks; {@link #claim} locks them.
   */
  static final String CANDIDATES = "SELECT a.id, a.judged_at FROM attestations a"
      + " WHERE a.judged_at < ? AND a.judged_at > ? AND" + DISPOSABLE
      + " ORDER BY a.judged_at LIMIT ?";

  private final JdbcClient jdbc;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final Optional<Duration> history;
  private final Counter deleted;
  private final PeriodicTask timer;
  /** Set by {@link #stop}: a run in progress ends at its next batch. */
  private volatile boolean stopping;
  /**
   * How far before the last cutoff an incremental run starts: a pass's newer pass is judged
   * within an interval, its jitter and a challenge's validity, so a pass the last run read
   * before its newer one existed is read again.
   */
  private final Duration lag;
  /** The last completed run's cutoff, and when a run last read from the oldest row. */
  private OffsetDateTime readUntil;
  private Instant fullRead;

  AttestationHistory(JdbcClient jdbc, AuditLog audit, PlatformTransactionManager transactions,
      ServerConfig config, MeterRegistry metrics) {
    this.jdbc = jdbc;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.history = config.attest().passHistory();
    this.lag = config.attest().interval().plus(config.attest().jitter())
        .plus(config.attest().challengeValidity());
    this.deleted = metrics.counter("neguard.attestation.history.deleted");
    this.timer = new PeriodicTask("neguard-attestation-history", INTERVAL, INTERVAL,
        this::runQuietly);
  }

  /**
   * Locks those of {@code ids} no other transaction holds (a replica's run); the condition is
   * read again under the lock by the delete.
   */
  static String claim(int ids) {
    return "SELECT id FROM attestations WHERE id IN (" + Sql.placeholders(ids) + ")"
        + " FOR UPDATE SKIP LOCKED";
  }

  /**
   * Deletes the routine passes judged before {@code now} less the configured history that may
   * go, a batch to a transaction with its audit row; returns how many. Reads from where the last
   * run's cutoff was, and from the oldest row once every {@link #FULL_READ}. Nothing when the
   * history is kept for good.
   */
  int runOnce(Instant now) {
    if (history.isEmpty()) {
      return 0;
    }
    OffsetDateTime cutoff = Attestations.at(now.minus(history.get()));
    OffsetDateTime floor = jdbc.sql("SELECT floor_at FROM attestation_history")
        .query(OffsetDateTime.class).single();
    boolean full;
    OffsetDateTime cursor;
    synchronized (this) {
      // Also after the clock went back: the incremental range would be empty until it caught up.
      full = readUntil == null || fullRead == null || now.isBefore(fullRead)
          || !now.isBefore(fullRead.plus(FULL_READ));
      OffsetDateTime since = full ? floor : readUntil.minus(lag);
      cursor = since.isAfter(floor) ? since : floor;
    }
    int total = 0;
    while (!stopping) {
      OffsetDateTime from = cursor;
      Batch b = tx.execute(s -> batch(cutoff, from));
      total += b.deleted();
      deleted.increment(b.deleted());
      // A short read: none left. A full one goes on after its last row; rows judged at that
      // same instant and left out wait for the next full read.
      if (b.read() < BATCH) {
        synchronized (this) {
          if (full) {
            fullRead = now;
          }
          if (readUntil == null || cutoff.isAfter(readUntil)) {
            readUntil = cutoff;
          }
        }
        break;
      }
      cursor = b.last();
    }
    return total;
  }

  private record Batch(int read, int deleted, OffsetDateTime last) {}

  private Batch batch(OffsetDateTime cutoff, OffsetDateTime after) {
    record Candidate(String id, OffsetDateTime judgedAt) {}
    List<Candidate> read = jdbc.sql(CANDIDATES).params(cutoff, after, BATCH)
        .query((rs, i) -> new Candidate(rs.getString(1), rs.getObject(2, OffsetDateTime.class)))
        .list();
    if (read.isEmpty()) {
      return new Batch(0, 0, after);
    }
    List<Object> ids = new ArrayList<>(read.stream().map(Candidate::id).toList());
    List<String> claimed = jdbc.sql(claim(ids.size())).params(ids).query(String.class).list();
    int n = 0;
    if (!claimed.isEmpty()) {
      List<Object> params = new ArrayList<>(claimed);
      params.add(cutoff);
      n = jdbc.sql("DELETE FROM attestations a WHERE a.id IN ("
              + Sql.placeholders(claimed.size()) + ") AND a.judged_at < ? AND" + DISPOSABLE)
          .params(params).update();
    }
    if (n > 0) {
      audit.append(AuditEvent.success("system", "ATTESTATION_HISTORY", "attestations",
          n + " scheduled attestations that passed deleted, of " + read.size() + " read judged"
              + " from " + read.get(0).judgedAt().toInstant() + " to "
              + read.get(read.size() - 1).judgedAt().toInstant() + ": older than "
              + history.get() + " (--attest-pass-history, cutoff " + cutoff.toInstant()
              + "), each with a newer pass of its NE; failures, expiries, attestations asked"
              + " otherwise, passes that changed trust or a reference or that a wave took,"
              + " and each NE's newest pass are kept"));
    }
    return new Batch(read.size(), n, read.get(read.size() - 1).judgedAt());
  }

  private void runQuietly() {
    try {
      long start = System.nanoTime();
      int n = runOnce(Instant.now().truncatedTo(ChronoUnit.MICROS));
      if (n > 0) {
        LOG.info("deleted {} routine attestation passes older than {} in {} ms", n,
            history.get(), (System.nanoTime() - start) / 1_000_000);
      }
    } catch (RuntimeException e) {
      LOG.warn("could not delete old routine attestation passes (tried again in {}): {}",
          INTERVAL, e.toString());
    }
  }

  @Override
  public void start() {
    stopping = false;
    if (history.isPresent()) {
      timer.start();
    }
  }

  @Override
  public void stop() {
    stopping = true;
    timer.stop();
  }

  @Override
  public boolean isRunning() {
    return timer.isRunning();
  }
}
