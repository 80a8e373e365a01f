package org.neguard.server.device;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.neguard.server.PeriodicTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * When each device was last seen, kept in memory and written every {@link #INTERVAL} in one JDBC
 * batch ({@code UPDATE devices SET last_seen}), and once more at shutdown: a poll costs a map
 * write, not a row update (issue 12's 5,000 polls/s). A crash loses at most one interval of it,
 * which only makes a device look seen a few seconds earlier than it was. The metrics {@code
 * neguard.device.last_seen.flushes} and {@code .rows} count the batches and the rows they wrote.
 * A batch runs in one transaction of its own and updates its rows in device id order, the order
 * every multi-row lock on {@code devices} takes (a recovery campaign's, {@code Recoveries}): it
 * may wait for a device's row, never in a cycle with another holder (REC-2). Thread-safe.
 */
@Component
final class LastSeen implements SmartLifecycle {
  static final Duration INTERVAL = Duration.ofSeconds(3);
  private static final Logger LOG = LoggerFactory.getLogger(LastSeen.class);

  private final JdbcTemplate jdbc;
  private final TransactionTemplate transaction;
  private final Clock clock = Clock.tickMillis(ZoneOffset.UTC);
  private final Map<String, Instant> pending = new ConcurrentHashMap<>();
  private final Counter flushes;
  private final Counter rows;
  private final PeriodicTask timer;

  LastSeen(JdbcTemplate jdbc, MeterRegistry metrics, PlatformTransactionManager transactions) {
    this.jdbc = jdbc;
    this.transaction = new TransactionTemplate(transactions);
    this.flushes = metrics.counter("neguard.device.last_seen.flushes");
    this.rows = metrics.counter("neguard.device.last_seen.rows");
    this.timer = new PeriodicTask("neguard-last-seen", INTERVAL, INTERVAL, this::flushQuietly);
  }

  /** Notes that {@code deviceId} made a request now. */
  void seen(String deviceId) {
    pending.put(deviceId, clock.instant());
  }

  /** Writes what was seen since the last flush, in one batch; returns the rows written. */
  synchronized int flush() {
    if (pending.isEmpty()) {
      return 0;
    }
    List<Object[]> batch = new ArrayList<>();
    // Sorted: the map's own order is its hash order, and a batch that locks B then A waits in a
    // cycle with a campaign that locked A and waits for B (PostgreSQL aborts one of them).
    for (String id : new TreeSet<>(pending.keySet())) {
      Instant at = pending.remove(id);
      if (at != null) {
        batch.add(new Object[] {Devices.utc(at), id, Devices.utc(at)});
      }
    }
    // One transaction, explicitly: in autocommit the PostgreSQL driver commits a long batch in
    // parts (at each sync it sends, every few hundred rows), H2 does not; one rule for both.
    // Never backwards: another replica may have written a later time.
    transaction.executeWithoutResult(s -> jdbc.batchUpdate("UPDATE devices SET last_seen = ?"
        + " WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)", batch));
    flushes.increment();
    rows.increment(batch.size());
    return batch.size();
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn("could not write last-seen times: {}", e.toString());
    }
  }

  @Override
  public void start() {
    timer.start();
  }

  @Override
  public void stop() {
    timer.stop();
    flushQuietly();
  }

  @Override
  public boolean isRunning() {
    return timer.isRunning();
  }
}
