package org.neguard.server.attest;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.neguard.server.ServerConfig;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runtime integrity (OBJ-2) and first contact (REC-3): every {@code attest.schedulerInterval}, on
 * every replica, challenges left unanswered past their expiry are marked EXPIRED, and each device
 * whose {@code next_attestation_at} has come is asked for evidence (FIRST_CONTACT while it is
 * unknown, SCHEDULED after), its next time set to one interval plus a random jitter. Devices are
 * claimed with {@code FOR UPDATE SKIP LOCKED} in batches, so replicas share the work and never
 * ask one device twice. A trusted device that leaves {@link Pve#SILENCE} challenges in a row
 * unanswered is quarantined: an NE whose platform cannot be checked is not trusted (an intruder
 * would rather stop its agent than answer). Thread-safe; {@link #runOnce} may be called directly (tests).
 */
@Component
final class AttestationScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AttestationScheduler.class);
  /** Devices per transaction. */
  static final int BATCH = 500;
  /**
   * The due devices of one batch, oldest due first, after a cursor (the round's time; the
   * cursor's next_attestation_at twice and its id; the batch's size): read without locks,
   * through devices_next_attestation_id (V23), which holds this order, so the read starts at the
   * cursor and stops at the batch's last row. {@link #claim} then locks those still due. The
   * cursor moves past every device read, claimed or not: a locked row (a device's own request, a
   * replica's batch) is passed over, not read again at the head of every batch.
   */
  static final String DUE = "SELECT id, next_attestation_at FROM devices WHERE"
      + " next_attestation_at <= ? AND disabled_at IS NULL AND next_attestation_at >= ? AND"
      + " (next_attestation_at > ? OR id > ?) ORDER BY next_attestation_at, id LIMIT ?";

  /** Before every next_attestation_at: the cursor of a round's first batch. */
  static final OffsetDateTime FIRST = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0,
      java.time.ZoneOffset.UTC);

  /**
   * Locks the devices {@code ids} of {@link #DUE} that are still due and not locked by another
   * transaction (a replica's batch, a device's own request), and returns them. In two steps
   * because H2 executes a {@code SELECT ... ORDER BY ... LIMIT ... FOR UPDATE} without its
   * index's order: it read and locked every due device to return the first 500, and 100,000 due
   * after a restart made a round of 200 such batches that took over 20 minutes (its challenges
   * dated at its start, born expired) and held the rows the last-seen writes wait for
   * (docs/BENCHMARKS.md, issue 15: 100,000 NEs). The condition is checked again under the lock.
   */
  static String claim(int ids) {
    return "SELECT id, trust_state, enrolled_at FROM devices WHERE id IN ("
        + Sql.placeholders(ids)
        + ") AND next_attestation_at <= ? AND disabled_at IS NULL"
        + " ORDER BY next_attestation_at, id FOR UPDATE SKIP LOCKED";
  }

  /**
   * A device's next runtime attestation after {@code now}: one interval, or the untrusted
   * interval ({@link ServerConfig.Attest#untrustedEvery}) for an NE that is not trusted and
   * gets no deployment until a person or a recovery acts, each of which asks at once, while
   * each of its failures and expiries is kept for good: quarantined, untrusted, or unknown for
   * longer than that interval since it enrolled at {@code enrolledAt} (its first contact left
   * unanswered, or awaiting a baseline's approval; null: not known, as for a pass's). Then a
   * random share of the jitter, so that a fleet enrolled or restarted at once spreads out.
   */
  static Instant next(ServerConfig.Attest config, String trustState, Instant enrolledAt,
      Instant now, java.util.Random random) {
    long jitter = config.jitter().isZero() ? 0
        : (long) (random.nextDouble() * config.jitter().toMillis());
    boolean out = Pve.QUARANTINED.equals(trustState) || Pve.UNTRUSTED.equals(trustState)
        || (Pve.UNKNOWN.equals(trustState) && enrolledAt != null
            && enrolledAt.plus(config.untrustedEvery()).isBefore(now));
    return now.plus(out ? config.untrustedEvery() : config.interval()).plusMillis(jitter);
  }

  private final JdbcClient jdbc;
  private final JdbcTemplate batchJdbc;
  private final Attestations attestations;
  private final Pve pve;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final ServerConfig.Attest config;
  private final SecureRandom random = new SecureRandom();
  /** Set by {@link #close}: a round in progress stops at its next batch. */
  private volatile boolean closing;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "neguard-attest-scheduler");
        t.setDaemon(true);
        return t;
      });

  AttestationScheduler(JdbcClient jdbc, JdbcTemplate batchJdbc, Attestations attestations,
      Pve pve, AuditLog audit, PlatformTransactionManager transactions,
      ServerConfig serverConfig) {
    this.jdbc = jdbc;
    this.batchJdbc = batchJdbc;
    this.attestations = attestations;
    this.pve = pve;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.config = serverConfig.attest();
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    long ms = config.schedulerInterval().toMillis();
    timer.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      runOnce(Instant.now());
    } catch (RuntimeException e) {
      LOG.error("attestation scheduler round failed: {}", e.toString(), e);
    }
  }

  /**
   * Stops the rounds and waits for one in progress, which ends at its next batch: it must not
   * outlive the database, which Spring closes after this. Not {@code shutdownNow}: an interrupt
   * inside H2's file I/O closes its file channel, and the round's commit failed as the server
   * stopped (H2 then wrote into a data directory a test was deleting).
   */
  @Override
  public void close() throws InterruptedException {
    closing = true;
    timer.shutdown();
    timer.awaitTermination(30, TimeUnit.SECONDS);
  }

  /** One round: expiries, then due devices in batches. Returns how many devices were asked. */
  int runOnce(Instant now) {
    // Every challenge expired by now, a batch to a transaction: a round that judged one batch
    // left the rest to later rounds, one batch each schedulerInterval, and a fleet's expiries
    // (its audit rows, the quarantine of a silent NE) fell further behind each round.
    while (true) {
      Attestations.Expired expired;
      try {
        expired = tx.execute(s -> {
          Attestations.Expired batch = attestations.expireBatch(now, BATCH);
          for (Attestations.Row r : batch.judged()) {
            audit.append(AuditEvent.failure(Pve.actor(r.deviceId()), "ATTESTATION",
                "device " + r.deviceId(), r.reason() + " attestation " + r.id()
                    + ": EXPIRED, no evidence over its nonce"));
            if (!r.reason().equals("AFTER_UPDATE")) {
              pve.unanswered(r.deviceId(), now);
            }
          }
          return batch;
        });
      } catch (RuntimeException e) {
        // Rolled back and tried again next round; the fleet's scheduled challenges go on.
        LOG.error("attestation expiry failed this round: {}", e.toString(), e);
        break;
      }
      // A short read: none left. A full one goes on, though a replica judged some of it first
      // (each batch judges or finds judged what it read, and "now" stays the round's: it ends).
      if (expired.read() < BATCH || closing) {
        break;
      }
    }
    int asked = 0;
    long start = System.nanoTime();
    Cursor cursor = new Cursor(FIRST, "");
    while (true) {
      // Due means due at the round's start (so the round ends, whatever it reschedules); each
      // batch dates its challenges at its own moment: those of a round that took minutes (a
      // fleet due at once after a restart) were dated at its start, and born expired.
      Instant at = now.plusNanos(System.nanoTime() - start);
      Cursor from = cursor;
      Batch b = tx.execute(s -> batch(now, at, from));
      if (b == null) {
        return asked;
      }
      asked += b.asked();
      if (b.read() < BATCH || closing) {
        return asked;
      }
      cursor = b.next();
    }
  }

  private record Due(String id, String trustState, Instant enrolledAt) {}

  /** Where a round's next read of due devices starts: after this device. */
  private record Cursor(OffsetDateTime nextAttestationAt, String id) {}

  /** A batch: how many due devices it read, how many it asked, and the cursor after them. */
  private record Batch(int read, int asked, Cursor next) {}

  /**
   * One batch of due devices, in one transaction and a fixed number of statements (the read,
   * the claim, which of them are still to answer a challenge, the new challenges, the next
   * times) rather than three per device: at a fleet's rate the round's statements were a share
   * of the database's work per attestation. Due at {@code due}, the round's start; asked at
   * {@code now}.
   */
  private Batch batch(Instant due, Instant now, Cursor from) {
    List<Cursor> candidates = jdbc.sql(DUE).params(Attestations.at(due),
            from.nextAttestationAt(), from.nextAttestationAt(), from.id(), BATCH)
        .query((rs, i) -> new Cursor(rs.getObject(2, OffsetDateTime.class), rs.getString(1)))
        .list();
    if (candidates.isEmpty()) {
      return new Batch(0, 0, from);
    }
    List<Object> params = new ArrayList<>();
    candidates.forEach(c -> params.add(c.id()));
    params.add(Attestations.at(due));
    List<Due> dueDevices = jdbc.sql(claim(candidates.size())).params(params)
        .query((rs, i) -> new Due(rs.getString(1), rs.getString(2),
            rs.getObject(3, OffsetDateTime.class).toInstant()))
        .list();
    ask(dueDevices, now);
    return new Batch(candidates.size(), dueDevices.size(),
        candidates.get(candidates.size() - 1));
  }

  /** Asks each of {@code due} for evidence unless it has a challenge open; sets its next time. */
  private void ask(List<Due> due, Instant now) {
    // An open challenge is answered instead: asking again would make two.
    Set<String> awaited = attestations.withOpen(due.stream().map(Due::id).toList(), now);
    List<Attestations.Row> asks = new ArrayList<>();
    List<Object[]> next = new ArrayList<>();
    for (Due d : due) {
      if (!awaited.contains(d.id())) {
        String reason = d.trustState().equals(Pve.UNKNOWN) ? "FIRST_CONTACT" : "SCHEDULED";
        asks.add(attestations.unasked(d.id(), reason, null, null, "schedule", now,
            now.plus(config.challengeValidity())));
      }
      next.add(new Object[] {Attestations.at(next(config, d.trustState(), d.enrolledAt(), now,
          random)), d.id()});
    }
    attestations.askAll(asks);
    if (!next.isEmpty()) {
      batchJdbc.batchUpdate("UPDATE devices SET next_attestation_at = ? WHERE id = ?", next);
    }
  }
}
