package org.neguard.cli.support;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.neguard.io.AtomicFiles;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * How every command treats the file it writes: an existing one is refused ({@code BAD_INPUT},
 * exit 1, the file untouched) unless {@code --force} is given, and the file is written whole or
 * not at all ({@link AtomicFiles}).
 */
public final class OutputFiles {
  private OutputFiles() {}

  /**
   * Checks that {@code file} may be written.
   *
   * @return how to treat a file that appears meanwhile
   * @throws RefusalException {@code BAD_INPUT} when it exists and {@code force} is false
   */
  public static AtomicFiles.Existing check(Path file, boolean force) throws RefusalException {
    if (!force && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw exists(file);
    }
    return force ? AtomicFiles.Existing.REPLACE : AtomicFiles.Existing.REFUSE;
  }

  /** What writes a file's content. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException, RefusalException;
  }

  /** Writes {@code content} to {@code file} atomically, after {@link #check}. */
  public static void write(Path file, byte[] content, boolean force)
      throws IOException, RefusalException {
    write(file, force, out -> out.write(content));
  }

  /**
   * Writes {@code file} atomically with what {@code content} streams into it, after {@link
   * #check}; when {@code content} fails, {@code file} is as it was.
   */
  public static void write(Path file, boolean force, Content content)
      throws IOException, RefusalException {
    AtomicFiles.Existing existing = check(file, force);
    try (AtomicFiles.Pending p = AtomicFiles.create(file, existing)) {
      try (OutputStream out = Files.newOutputStream(p.path())) {
        content.writeTo(out);
      }
      p.commit();
    } catch (FileAlreadyExistsException e) {
      throw exists(file); // it appeared while being written: refused the same way
    }
  }

  /** The refusal of an existing output file. */
  public static RefusalException exists(Path file) {
    return RefusalException.about(ReasonCode.BAD_INPUT, file.toString(),
        file + " exists; pass --force to replace it");
  }
}
