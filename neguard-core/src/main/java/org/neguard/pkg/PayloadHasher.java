package org.neguard.pkg;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * Checks the size and SHA-256 of bundle entries against what the manifest lists, on several
 * threads: per-file digests are independent, so the work spreads over the cores. Memory is one
 * buffer per thread, whatever the bundle's size.
 */
final class PayloadHasher implements AutoCloseable {
  private static final int BUFFER = 1 << 20;
  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER]);

  /** One entry to check. */
  record Item(String entry, String label, long size, String sha256) {}

  private final ExecutorService pool;
  private final List<Future<Reason>> futures = new ArrayList<>();

  private PayloadHasher(ExecutorService pool) {
    this.pool = pool;
  }

  /**
   * Starts checking {@code items} in the background.
   *
   * @param threads worker threads, at least 1
   */
  static PayloadHasher start(
      BundleReader reader, List<Item> items, int threads, ProgressListener progress) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads < 1: " + threads);
    }
    Objects.requireNonNull(progress, "progress");
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "neguard-hash");
              t.setDaemon(true);
              return t;
            });
    PayloadHasher hasher = new PayloadHasher(pool);
    long total = items.stream().mapToLong(Item::size).sum();
    AtomicLong done = new AtomicLong();
    List<Item> bigFirst = new ArrayList<>(items);
    // Largest first, so that one big file does not start last and run alone.
    bigFirst.sort(Comparator.comparingLong(Item::size).reversed());
    for (Item item : bigFirst) {
      hasher.futures.add(pool.submit(() -> check(reader, item, done, total, progress)));
    }
    pool.shutdown();
    return hasher;
  }

  /**
   * Waits for every check.
   *
   * @return the failures, in the order the items were sorted; empty when all matched
   * @throws IOException if an entry could not be read for another reason than its content
   */
  List<Reason> await() throws IOException, InterruptedException {
    List<Reason> failures = new ArrayList<>();
    for (Future<Reason> f : futures) {
      try {
        Reason r = f.get();
        if (r != null) {
          failures.add(r);
        }
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
          throw io;
        }
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(cause);
      } catch (CancellationException e) {
        // close() was called: nothing more to report.
      }
    }
    failures.sort(Comparator.comparing(Reason::subject, Comparator.nullsFirst(String::compareTo)));
    return failures;
  }

  /** Stops work not yet started. */
  @Override
  public void close() {
    pool.shutdownNow();
  }

  private static Reason check(
      BundleReader reader, Item item, AtomicLong done, long total, ProgressListener progress)
      throws IOException {
    MessageDigest sha = sha256();
    byte[] buffer = BUFFERS.get();
    long size = 0;
    try (InputStream in = reader.openEntry(item.entry(), item.size())) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
        size += n;
        progress.progress(done.addAndGet(n), total);
        if (Thread.currentThread().isInterrupted()) {
          return null;
        }
      }
    } catch (BundleReader.SizeExceededException e) {
      return Reason.about(
          ReasonCode.SIZE_LIMIT,
          item.label(),
          "'" + item.label() + "' holds more than the " + item.size()
              + " bytes the manifest lists; the package was altered");
    } catch (ZipException | EOFException e) {
      return Reason.about(
          ReasonCode.MALFORMED,
          item.label(),
          "'" + item.label() + "' cannot be decompressed (" + e.getMessage() + ")");
    }
    if (size != item.size()) {
      return Reason.about(
          ReasonCode.DIGEST_MISMATCH,
          item.label(),
          "'" + item.label() + "' is " + size + " bytes, the manifest lists " + item.size()
              + "; the package was altered");
    }
    String actual = HexFormat.of().formatHex(sha.digest());
    if (!actual.equals(item.sha256())) {
      return Reason.about(
          ReasonCode.DIGEST_MISMATCH,
          item.label(),
          "'" + item.label() + "' has SHA-256 " + actual + ", the manifest lists "
              + item.sha256() + "; the package was altered");
    }
    return null;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }

  /** Items for every payload file and scan report a manifest lists. */
  static List<Item> itemsOf(Manifest manifest) {
    List<Item> items = new ArrayList<>();
    for (Manifest.FileEntry f : manifest.files()) {
      items.add(new Item(f.entryName(), f.path(), f.size(), f.sha256()));
    }
    for (Manifest.ScanReportRef r : manifest.scanReports()) {
      items.add(new Item(r.path(), r.path(), r.size(), r.sha256()));
    }
    return items;
  }
}
