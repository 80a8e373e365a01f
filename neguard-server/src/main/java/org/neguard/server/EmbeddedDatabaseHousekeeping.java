package org.neguard.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Keeps dead pages from growing the embedded database's file: every {@link #PERIOD} it
 * rewrites the live pages of old, partly dead chunks, as H2's own background writer does. H2
 * writes each commit as a new chunk of the file (the changed pages and the path to their roots);
 * a chunk is reused only when none of its pages is live, and one leaf that is never changed again
 * keeps a whole chunk. Only H2's background writer moves such leaves, and the embedded URL's
 * {@code WRITE_DELAY=0} (each commit written before it returns, so that a killed server keeps it)
 * starts none: under a fleet's attestations the file grew by about 34 KB an attestation, 3 GB in
 * 19 minutes (docs/BENCHMARKS.md, issue 15).
 *
 * <p>A run rewrites at most a quarter of H2's auto-commit memory (H2's own bound while the
 * database is busy) and only while the rewritable chunks are less than {@link #REWRITE_BELOW} %
 * live (H2's own threshold while busy: {@code 50 + rate / 2} below 81, its default fill rate 90
 * squared). Commits wait for a run: 6 to 10 ms at the median outside the server, up to 50 ms
 * with tens of thousands of chunks. Chunks that died stay for H2's retention time (45 s) before
 * their space is reused, so that a power cut finds an older whole state: the file holds the live
 * data plus about a minute of the commits' writes.
 *
 * <p>Does nothing on PostgreSQL. The meters {@code neguard.database.file.bytes} (the embedded
 * database's file), {@code .file.used.bytes} (its chunks), {@code .file.live.bytes} (their live
 * pages), {@code .file.written.bytes} (written since the start) and {@code
 * neguard.database.housekeeping.rewrites} (the runs that rewrote something) let an operator watch
 * it. Thread-safe.
 */
@Component
final class EmbeddedDatabaseHousekeeping implements SmartLifecycle {
  static final Duration PERIOD = Duration.ofMillis(250);
  static final int REWRITE_BELOW = 62;
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabaseHousekeeping.class);

  private final DataSource dataSource;
  private final Counter rewrites;
  private final AtomicLong fileBytes = new AtomicLong();
  private final AtomicLong usedBytes = new AtomicLong();
  private final AtomicLong liveBytes = new AtomicLong();
  private final AtomicLong writtenBytes = new AtomicLong();
  private final PeriodicTask timer;
  private volatile boolean embedded = true;
  private volatile Class<?> failing; // of the last run's exception; null after a run that succeeded

  EmbeddedDatabaseHousekeeping(DataSource dataSource, MeterRegistry metrics) {
    this.dataSource = dataSource;
    this.rewrites = metrics.counter("neguard.database.housekeeping.rewrites");
    this.timer = new PeriodicTask(
        "neguard-database-housekeeping", PERIOD, PERIOD, this::runQuietly);
    bytes(metrics, "file", fileBytes, "size of the embedded database's file (0 on PostgreSQL)");
    bytes(metrics, "file.used", usedBytes,
        "of the file, the chunks not yet reused: live, dead but retained, sparse");
    bytes(metrics, "file.live", liveBytes,
        "of the file, the pages that hold the database's current state");
    // A gauge of a growing total: H2 keeps the count, the server only reads it.
    bytes(metrics, "file.written", writtenBytes,
        "bytes written to the embedded database's file since the server started");
  }

  private static void bytes(MeterRegistry metrics, String name, AtomicLong value,
      String description) {
    Gauge.builder("neguard.database." + name + ".bytes", value, AtomicLong::get)
        .description(description).baseUnit("bytes").register(metrics);
  }

  /**
   * One run: rewrites the live pages of old, partly dead chunks (H2 ranks them by fill rate over
   * age) if the rewritable ones are less than {@link #REWRITE_BELOW} % live, and writes them out.
   *
   * @return whether pages were rewritten; false on PostgreSQL
   * @throws SQLException if no connection could be had
   */
  boolean runOnce() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      // Through an open session: the pool closing its connections cannot close the database
      // under the run (H2's own hook at the JVM's exit still may: one warning at most).
      Optional<MVStore> found = store(c);
      if (found.isEmpty()) {
        embedded = false;
        return false;
      }
      MVStore store = found.get();
      if (store.isReadOnly() || store.getAutoCommitDelay() > 0) {
        // Nothing to write, or H2's own background writer does this (a --db jdbc:h2:file: URL
        // without WRITE_DELAY=0): a rewrite of a read-only store would close it.
        embedded = false;
        return false;
      }
      Map<String, String> info = info(store);
      long size = Long.parseLong(info.get("info.FILE_SIZE"));
      long used = size * Integer.parseInt(info.get("info.FILL_RATE")) / 100;
      fileBytes.set(size);
      writtenBytes.set(Long.parseLong(info.get("info.FILE_WRITE_BYTES")));
      usedBytes.set(used);
      liveBytes.set(used * Integer.parseInt(info.get("info.CHUNKS_FILL_RATE")) / 100);
      if (Integer.parseInt(info.get("info.CHUNKS_FILL_RATE_RW")) >= REWRITE_BELOW) {
        return false;
      }
      // 101: compact's own threshold is the fill rate of all chunks, young ones included, which
      // the retention time keeps low; the rewritable rate was checked above.
      boolean rewrote = store.compact(101, store.getAutoCommitMemory() / 4);
      if (rewrote) {
        // Written here rather than by the next request's commit.
        store.commit();
        rewrites.increment();
      }
      return rewrote;
    }
  }

  /** H2's statistics of {@code store}: {@code info.FILE_SIZE}, {@code info.CHUNKS_FILL_RATE}… */
  static Map<String, String> info(MVStore store) {
    Map<String, String> info = new HashMap<>();
    store.getFileStore().populateInfo(info::put);
    return info;
  }

  /** The embedded database's store behind {@code c}, or empty on any other database. */
  static Optional<MVStore> store(Connection c) throws SQLException {
    if (!c.isWrapperFor(JdbcConnection.class)
        || !(c.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session)) {
      return Optional.empty();
    }
    MVStore store = session.getDatabase().getStore().getMvStore();
    return store.getFileStore() == null ? Optional.empty() : Optional.of(store);
  }

  private void runQuietly() {
    try {
      if (embedded) {
        runOnce();
        failing = null;
      }
    } catch (SQLException | RuntimeException e) {
      // Once per kind of failure until a run succeeds, not four times a second.
      if (e.getClass() != failing) {
        failing = e.getClass();
        LOG.warn("could not compact the embedded database's file: {}", e.toString());
      }
    }
  }

  @Override
  public void start() {
    // The first run before the server answers, so that the meters hold the file's size.
    runQuietly();
    timer.start();
  }

  @Override
  public void stop() {
    timer.stop();
  }

  @Override
  public boolean isRunning() {
    return timer.isRunning();
  }
}
