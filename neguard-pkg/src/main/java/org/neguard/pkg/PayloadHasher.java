package org.neguard.pkg;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.ZipException;
import org.neguard.measure.Sha256;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.progress.ProgressListener;

/**
 * Computes the size and SHA-256 of bundle entries on several threads: per-file digests are
 * independent, so the work spreads over the cores. Memory is one buffer per thread, whatever the
 * bundle's size. {@link #compare} then judges the results against a manifest.
 */
final class PayloadHasher implements AutoCloseable {
  /**
   * Read size: 256 KiB stays in the core's cache between the copy from the page cache and the
   * digest; 1 MiB reads cost 10 % more CPU per GiB hashed on the bench machine (and the JDK keeps
   * a direct buffer of each thread's largest read besides).
   */
  static final int BUFFER = 256 << 10;
  private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[BUFFER]);
  // One digest per thread, reset per entry: no provider look-up per file (4,718 in the bench).
  private static final ThreadLocal<MessageDigest> DIGESTS = ThreadLocal.withInitial(Sha256::newDigest);

  /** The outcome for one entry: its size and digest, or why it could not be read whole. */
  record Digest(long size, String sha256, Reason failure) {}

  private final ExecutorService pool;
  private final Map<String, Future<Digest>> futures = new LinkedHashMap<>();

  private PayloadHasher(ExecutorService pool) {
    this.pool = pool;
  }

  /**
   * Starts hashing {@code entries} (entry name to the most bytes it may hold) in the background.
   *
   * @param threads worker threads, at least 1
   */
  static PayloadHasher start(
      BundleReader reader, Map<String, Long> entries, int threads, ProgressListener progress) {
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
    long total = entries.values().stream().mapToLong(Long::longValue).sum();
    AtomicLong done = new AtomicLong();
    List<Map.Entry<String, Long>> bigFirst = new ArrayList<>(entries.entrySet());
    // Largest first, so that one big file does not start last and run alone.
    bigFirst.sort(Map.Entry.<String, Long>comparingByValue().reversed());
    for (Map.Entry<String, Long> e : bigFirst) {
      hasher.futures.put(
          e.getKey(),
          pool.submit(() -> hash(reader, e.getKey(), e.getValue(), done, total, progress)));
    }
    pool.shutdown();
    return hasher;
  }

  /** Starts hashing every payload file, scan report and SBOM a manifest lists, bounded by it. */
  static PayloadHasher startListed(
      BundleReader reader, Manifest manifest, int threads, ProgressListener progress) {
    Map<String, Long> entries = new LinkedHashMap<>();
    manifest.files().forEach(f -> entries.put(f.entryName(), f.size()));
    manifest.scanReports().forEach(r -> entries.put(r.path(), r.size()));
    manifest.sbom().ifPresent(b -> entries.put(b.path(), b.size()));
    return start(reader, entries, threads, progress);
  }

  /**
   * Waits for every entry.
   *
   * @throws IOException if an entry could not be read for another reason than its content
   */
  Map<String, Digest> await() throws IOException, InterruptedException {
    Map<String, Digest> digests = new LinkedHashMap<>();
    for (Map.Entry<String, Future<Digest>> f : futures.entrySet()) {
      try {
        digests.put(f.getKey(), f.getValue().get());
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
        throw new java.io.InterruptedIOException("hashing cancelled");
      }
    }
    return digests;
  }

  /**
   * Every difference between the manifest and the measured entries, sorted by path; empty when
   * each listed file has exactly its listed size and SHA-256.
   */
  static List<Reason> compare(Manifest manifest, Map<String, Digest> digests) {
    List<Reason> failures = new ArrayList<>();
    for (Manifest.FileEntry f : manifest.files()) {
      compare(f.path(), f.size(), f.sha256(), digests.get(f.entryName()), failures);
    }
    for (Manifest.ScanReportRef r : manifest.scanReports()) {
      compare(r.path(), r.size(), r.sha256(), digests.get(r.path()), failures);
    }
    manifest.sbom().ifPresent(
        b -> compare(b.path(), b.size(), b.sha256(), digests.get(b.path()), failures));
    failures.sort(Comparator.comparing(Reason::subject, Comparator.nullsFirst(String::compareTo)));
    return failures;
  }

  private static void compare(
      String label, long size, String sha256, Digest d, List<Reason> failures) {
    if (d == null) {
      failures.add(Reason.about(ReasonCode.STRUCTURE, label, "'" + label + "' was not read"));
    } else if (d.failure() != null && d.sha256() == null) {
      failures.add(d.failure());
    } else if (d.size() != size) {
      failures.add(Reason.about(
          ReasonCode.DIGEST_MISMATCH,
          label,
          "'" + label + "' is " + d.size() + " bytes, the manifest lists " + size
              + "; the package was altered"));
    } else if (!d.sha256().equals(sha256)) {
      failures.add(Reason.about(
          ReasonCode.DIGEST_MISMATCH,
          label,
          "'" + label + "' has SHA-256 " + d.sha256() + ", the manifest lists " + sha256
              + "; the package was altered"));
    } else if (d.failure() != null) {
      failures.add(d.failure());
    }
  }

  /** Stops work not yet started. */
  @Override
  public void close() {
    pool.shutdownNow();
  }

  private static Digest hash(
      BundleReader reader, String entry, long maxBytes, AtomicLong done, long total,
      ProgressListener progress)
      throws IOException {
    String label = entry.startsWith(BundleLayout.PAYLOAD_PREFIX)
        ? entry.substring(BundleLayout.PAYLOAD_PREFIX.length())
        : entry;
    MessageDigest sha = DIGESTS.get();
    sha.reset();
    byte[] buffer = BUFFERS.get();
    long size = 0;
    try (InputStream in = reader.openEntry(entry, maxBytes)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
        size += n;
        progress.progress(done.addAndGet(n), total);
        if (Thread.currentThread().isInterrupted()) {
          throw new java.io.InterruptedIOException("hashing interrupted");
        }
      }
    } catch (BundleReader.SizeExceededException e) {
      return new Digest(-1, null, Reason.about(
          ReasonCode.SIZE_LIMIT,
          label,
          "'" + label + "' holds more than the " + maxBytes
              + " bytes its entry declares; the package was altered"));
    } catch (EntryStream.MismatchException e) {
      // Read whole, so the digest is known: a changed file is still told as DIGEST_MISMATCH.
      return new Digest(size, Sha256.hex(sha), Reason.about(
          ReasonCode.MALFORMED, label, e.getMessage() + "; the package was altered or is damaged"));
    } catch (ZipException | EOFException e) {
      return new Digest(-1, null, Reason.about(
          ReasonCode.MALFORMED,
          label,
          "'" + label + "' cannot be decompressed (" + e.getMessage()
              + "); the package is damaged"));
    }
    return new Digest(size, Sha256.hex(sha), null);
  }
}
