package org.neguard.measure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures a directory tree on disk into {@link TreeDigest} leaves: the TIM of an installed
 * component, comparable line by line with the RIM of the package that installed it.
 *
 * <p>What is measured (docs/MEASUREMENT.md): every entry under the root except directories,
 * without following symbolic links. A regular file is its SHA-256 and its mode (the twelve
 * permission bits, setuid/setgid/sticky included, so a file made setuid on the NE no longer
 * matches its RIM, whose modes never carry those bits). Anything else (a symbolic link, a
 * FIFO, a socket, a device) is measured as an <em>irregular</em> leaf whose digest is
 * SHA-256 of {@code "neguard-irregular" NUL type NUL link-target}: a package never contains
 * one, so it always shows up as a difference, named. Directories themselves, empty or not,
 * are not measured: a directory holds no code.
 *
 * <p>Thread-safe: stateless; {@link #measure(Path, int)} hashes files on its own threads.
 */
public final class TreeMeasurer {
  /** More entries than this under one root is refused: a measurement is bounded. */
  public static final int MAX_ENTRIES = 1_000_000;

  private static final int BUFFER = 256 << 10;

  private TreeMeasurer() {}

  /** As {@link #measure(Path, int)} with one thread per available processor. */
  public static TreeMeasurement measure(Path root) throws IOException {
    return measure(root, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Measures the tree under {@code root}.
   *
   * @param threads how many files are hashed at once (at least 1)
   * @throws IOException if the tree cannot be read, {@code root} is not a directory (a link to
   *     one is not followed), or it holds more than {@link #MAX_ENTRIES} entries
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static TreeMeasurement measure(Path root, int threads) throws IOException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads < 1: " + threads);
    }
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("not a directory (links are not followed): " + root);
    }
    List<Path> entries = list(root); // the entry limit is enforced here, before any hashing
    TreeDigest.Leaf[] leaves = new TreeDigest.Leaf[entries.size()];
    int workers = Math.min(threads, entries.size());
    if (workers <= 1) {
      new Worker(root, entries, leaves, new AtomicInteger()).run();
      return TreeMeasurement.of(Arrays.asList(leaves));
    }
    // A few workers take the next entry from one counter, each with its own buffer and digest:
    // one buffer per thread, not per file (a buffer per file made a tree of small files spend
    // its time allocating and collecting: 1,140 collections for 4,000 files in a 24 MiB heap).
    // Each leaf lands at its entry's index; TreeMeasurement sorts them, so the result does not
    // depend on which worker hashed what.
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "neguard-measure");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<Void>> futures = new ArrayList<>(workers);
      for (int i = 0; i < workers; i++) {
        Worker w = new Worker(root, entries, leaves, next);
        futures.add(pool.submit(() -> {
          w.run();
          return null;
        }));
      }
      for (Future<Void> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while measuring " + root, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("cannot measure " + root + ": " + e.getCause(), e.getCause());
    } finally {
      next.set(entries.size()); // the other workers stop after their current file
      pool.shutdownNow();
    }
    return TreeMeasurement.of(Arrays.asList(leaves));
  }

  /** Measures entries, the next one first not taken, until none is left. */
  private static final class Worker {
    private final Path root;
    private final List<Path> entries;
    private final TreeDigest.Leaf[] leaves;
    private final AtomicInteger next;
    private final byte[] buffer = new byte[BUFFER];
    private final MessageDigest sha = Sha256.newDigest();

    Worker(Path root, List<Path> entries, TreeDigest.Leaf[] leaves, AtomicInteger next) {
      this.root = root;
      this.entries = entries;
      this.leaves = leaves;
      this.next = next;
    }

    void run() throws IOException {
      for (int i; (i = next.getAndIncrement()) < entries.size(); ) {
        leaves[i] = leaf(entries.get(i));
      }
    }

    private TreeDigest.Leaf leaf(Path file) throws IOException {
      String path = relative(root, file);
      // One lstat for the type and the twelve mode bits (links are not followed).
      Map<String, Object> a = Files.readAttributes(file,
          "unix:mode,isRegularFile,isSymbolicLink,isOther", LinkOption.NOFOLLOW_LINKS);
      int mode = ((Integer) a.get("mode")) & 07777;
      if ((Boolean) a.get("isRegularFile")) {
        return new TreeDigest.Leaf(path, hash(file), mode);
      }
      boolean link = (Boolean) a.get("isSymbolicLink");
      // Anything else (FIFO, socket, device) is never opened: opening a FIFO could block.
      String target = link ? Files.readSymbolicLink(file).toString() : "";
      String type = link ? "symlink" : (Boolean) a.get("isOther") ? "other" : "unknown";
      return new TreeDigest.Leaf(path, irregularDigest(type, target), mode);
    }

    private String hash(Path file) throws IOException {
      sha.reset();
      ByteBuffer b = ByteBuffer.wrap(buffer);
      try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ,
          LinkOption.NOFOLLOW_LINKS)) {
        for (int n; (n = in.read(b.clear())) >= 0; ) {
          sha.update(buffer, 0, n);
        }
      }
      return Sha256.hex(sha);
    }
  }

  private static List<Path> list(Path root) throws IOException {
    List<Path> out = new ArrayList<>();
    // walkFileTree does not follow links unless asked to.
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (out.size() >= MAX_ENTRIES) {
          throw new IOException("more than " + MAX_ENTRIES + " entries under " + root);
        }
        out.add(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        throw e;
      }
    });
    return out;
  }

  /** The digest an irregular entry is measured as (docs/MEASUREMENT.md). */
  public static String irregularDigest(String type, String linkTarget) {
    MessageDigest sha = Sha256.newDigest();
    sha.update("neguard-irregular".getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) 0);
    sha.update(type.getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) 0);
    sha.update(linkTarget.getBytes(StandardCharsets.UTF_8));
    return Sha256.hex(sha);
  }

  private static String relative(Path root, Path file) {
    StringBuilder b = new StringBuilder();
    for (Path part : root.relativize(file)) {
      if (b.length() > 0) {
        b.append('/');
      }
      b.append(part);
    }
    return b.toString();
  }
}
