package org.neguard.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;

/**
 * Files written whole or not at all: the content goes to a temporary file in the target's own
 * directory, which is then renamed over the target. A reader sees the old file or the new one,
 * never a part; a failure (or a crash) leaves the target as it was and no temporary file behind
 * (after a crash, at most a hidden {@code .NAME.*.partial} beside it).
 *
 * <p>The one way to write a file atomically in NEGuard: bundles, scan reports, evidence,
 * observations, credentials and server uploads all go through here.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** What to do when the target exists already. */
  public enum Existing {
    /** Keep it: the write fails with {@link FileAlreadyExistsException}. */
    REFUSE,
    /** Replace it, in one rename. */
    REPLACE
  }

  /**
   * Writes {@code content} to {@code file}, replacing it, and creates its directory.
   *
   * @throws IOException when writing fails; {@code file} is then as it was
   */
  public static void write(Path file, byte[] content) throws IOException {
    write(file, content, Existing.REPLACE);
  }

  /**
   * Writes {@code content} to {@code file}, creating its directory.
   *
   * @throws FileAlreadyExistsException when {@code file} exists and {@code existing} is
   *     {@link Existing#REFUSE} (checked before writing and again at the rename)
   * @throws IOException when writing fails; {@code file} is then as it was
   */
  public static void write(Path file, byte[] content, Existing existing) throws IOException {
    try (Pending p = create(file, existing)) {
      Files.write(p.path(), content);
      p.commit();
    }
  }

  /**
   * Starts writing {@code file}: write to {@link Pending#path()}, then {@link Pending#commit()};
   * closing a pending file that was not committed deletes it. Use with try-with-resources.
   *
   * @param attributes for the temporary file, so that it has them (a mode of 0600, say) before
   *     the first byte is written
   * @throws FileAlreadyExistsException when {@code file} exists and {@code existing} is
   *     {@link Existing#REFUSE}: nothing is written then
   */
  public static Pending create(Path file, Existing existing, FileAttribute<?>... attributes)
      throws IOException {
    Path target = file.toAbsolutePath();
    if (existing == Existing.REFUSE && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString());
    }
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial", attributes);
    return new Pending(file, target, tmp, existing);
  }

  /**
   * Moves a whole file written elsewhere (a spooled upload, say) over {@code to}, in one rename
   * where the file system can, then syncs {@code to}'s directory so that the rename survives a
   * crash (best effort: a directory that cannot be synced is left as it is).
   */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel dir = FileChannel.open(to.toAbsolutePath().getParent(),
        StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Not every file system lets a directory be opened for sync; the rename stands.
    }
  }

  /** A file being written: not visible under its name until {@link #commit()}. */
  public static final class Pending implements AutoCloseable {
    private final Path file;
    private final Path target;
    private final Path tmp;
    private final Existing existing;
    private boolean committed;

    private Pending(Path file, Path target, Path tmp, Existing existing) {
      this.file = file;
      this.target = target;
      this.tmp = tmp;
      this.existing = existing;
    }

    /** The temporary file to write: in the target's directory, so the rename is atomic. */
    public Path path() {
      return tmp;
    }

    /**
     * Renames the written file over the target.
     *
     * @throws FileAlreadyExistsException when the target appeared meanwhile and existing files
     *     are refused
     * @throws IllegalStateException when committed already
     */
    public void commit() throws IOException {
      if (committed) {
        throw new IllegalStateException("already committed: " + file);
      }
      if (existing == Existing.REFUSE) {
        // java.nio has no atomic no-replace rename: a move without REPLACE_EXISTING checks, then
        // renames, and a file created in between would be replaced. A hard link is created
        // atomically or not at all; only where the file system has none, the move stands in.
        try {
          Files.createLink(target, tmp);
          Files.delete(tmp);
        } catch (UnsupportedOperationException e) {
          Files.move(tmp, target);
        } catch (FileAlreadyExistsException e) {
          throw e;
        } catch (FileSystemException e) {
          if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString());
          }
          Files.move(tmp, target);
        }
      } else {
        move(tmp, target);
      }
      committed = true;
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() throws IOException {
      if (!committed) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
