package org.neguard.measure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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

  private static final int BUFFER = 1 << 20;

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
    List<Path> entries = list(root);
    List<TreeDigest.Leaf> leaves = new ArrayList<>(entries.size());
    if (threads == 1 || entries.size() < 2) {
      for (Path p : entries) {
        leaves.add(leaf(root, p));
      }
      return TreeMeasurement.of(leaves);
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, entries.size()), r -> {
      Thread t = new Thread(r, "neguard-measure");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<TreeDigest.Leaf>> futures = new ArrayList<>(entries.size());
      for (Path p : entries) {
        futures.add(pool.submit(() -> leaf(root, p)));
      }
      for (Future<TreeDigest.Leaf> f : futures) {
        leaves.add(f.get());
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
      pool.shutdownNow();
    }
    return TreeMeasurement.of(leaves);
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

  private static TreeDigest.Leaf leaf(Path root, Path file) throws IOException {
    String path = relative(root, file);
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS);
    int mode = ((Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS))
        & 07777;
    if (a.isRegularFile()) {
      return new TreeDigest.Leaf(path, hash(file), mode);
    }
    String type = a.isSymbolicLink() ? "symlink" : a.isOther() ? "other" : "unknown";
    String target = a.isSymbolicLink() ? Files.readSymbolicLink(file).toString() : "";
    return new TreeDigest.Leaf(path, irregularDigest(type, target), mode);
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

  private static String hash(Path file) throws IOException {
    MessageDigest sha = Sha256.newDigest();
    byte[] buf = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
    }
    return Sha256.hex(sha);
  }
}
