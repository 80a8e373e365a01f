package org.neguard.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The server's data directory: {@code db/} (embedded database), {@code packages/} (stored
 * bundles, named by SHA-256), {@code tmp/} (uploads in progress), {@code trust/anchors/} and
 * {@code trust/crls/} (the server's own trust configuration for ingest, SRC-2). One server at a
 * time holds {@code server.lock}. Thread-safe.
 */
public final class DataDir implements AutoCloseable {
  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private DataDir(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Creates the layout if needed (directories 0700) and takes the lock.
   *
   * @throws RefusalException {@code IO_ERROR} if another server holds the directory
   */
  public static DataDir open(Path root) throws IOException, RefusalException {
    Path abs = root.toAbsolutePath().normalize();
    for (Path d :
        new Path[] {
          abs, abs.resolve("db"), abs.resolve("packages"), abs.resolve("tmp"),
          abs.resolve("trust"), abs.resolve("trust/anchors"), abs.resolve("trust/crls")
        }) {
      if (!Files.isDirectory(d)) {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
      }
    }
    FileChannel ch =
        FileChannel.open(abs.resolve("server.lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new RefusalException(
          ReasonCode.IO_ERROR,
          "another NEGuard server is using the data directory " + abs
              + "; stop it first or choose another --data directory");
    }
    return new DataDir(abs, ch, lock);
  }

  public Path root() {
    return root;
  }

  public Path database() {
    return root.resolve("db");
  }

  public Path packages() {
    return root.resolve("packages");
  }

  public Path tmp() {
    return root.resolve("tmp");
  }

  public Path trustAnchors() {
    return root.resolve("trust/anchors");
  }

  public Path trustCrls() {
    return root.resolve("trust/crls");
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      lockChannel.close();
    }
  }
}
