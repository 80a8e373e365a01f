package org.neguard.av;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * One payload file handed to an engine.
 *
 * @param path the file's path in the package ({@code lib/libs1ap.so})
 * @param size its exact size in bytes
 * @param content opens the file's bytes; may be called more than once, each call a new stream
 */
public record ScanItem(String path, long size, Content content) {
  /** Opens a fresh stream over the file's bytes. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  /**
   * The refusal for a file whose bytes, as an engine read them, were not its stated size: it
   * changed while it was being scanned (or between being sized and being read). Every engine
   * and the scan runner report it with this code and this message, so that a script matches
   * one thing: {@code IO_ERROR} (no verdict: nothing is known about the bytes now on disk), the
   * file's path as the subject.
   *
   * @param bytesRead how many bytes were read; more than {@link #size} means "at least this many"
   */
  public RefusalException changed(long bytesRead) {
    return changed(path, (bytesRead > size ? "more than " + size : Long.toString(bytesRead))
        + " bytes read, " + size + " expected");
  }

  /** As {@link #changed(long)}, for a file at {@code path}; {@code what} says how it showed. */
  static RefusalException changed(String path, String what) {
    return RefusalException.about(ReasonCode.IO_ERROR, path, "'" + path + "' changed while it"
        + " was being scanned (" + what + "); scan again once nothing writes to it");
  }

  public ScanItem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    if (size < 0) {
      throw new IllegalArgumentException("size < 0: " + size);
    }
  }
}
