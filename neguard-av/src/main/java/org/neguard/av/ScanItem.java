package org.neguard.av;

import java.io.FilterInputStream;
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

  /**
   * The refusal for a file whose bytes could not be opened or read: the package's fault or the
   * disk's, not the engine's, so it is never {@code ENGINE_ERROR}. Every engine reports it with
   * this code and this message: {@code IO_ERROR} (no verdict), the file's path as the subject.
   */
  public RefusalException unreadable(IOException cause) {
    String why = Objects.requireNonNullElse(cause.getMessage(), cause.getClass().getSimpleName());
    RefusalException e = RefusalException.about(ReasonCode.IO_ERROR, path, "cannot read '" + path
        + "' to scan it (" + why + "); check the package file and the disk it is on, then scan"
        + " again");
    e.initCause(cause);
    return e;
  }

  /**
   * Opens the file's bytes for an engine. Every failure to open, read or close them is a {@link
   * ReadFailure}, so that an engine tells them from failures of its own sockets and temporary
   * files, which are the engine's side.
   */
  InputStream openForScan() throws ReadFailure {
    InputStream in;
    try {
      in = content.open();
    } catch (IOException e) {
      throw new ReadFailure(this, e);
    }
    return new FilterInputStream(in) {
      @Override
      public int read() throws ReadFailure {
        try {
          return super.read();
        } catch (IOException e) {
          throw new ReadFailure(ScanItem.this, e);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws ReadFailure {
        try {
          return super.read(b, off, len);
        } catch (IOException e) {
          throw new ReadFailure(ScanItem.this, e);
        }
      }

      @Override
      public long skip(long n) throws ReadFailure {
        try {
          return super.skip(n);
        } catch (IOException e) {
          throw new ReadFailure(ScanItem.this, e);
        }
      }

      @Override
      public void close() throws ReadFailure {
        try {
          super.close();
        } catch (IOException e) {
          throw new ReadFailure(ScanItem.this, e);
        }
      }
    };
  }

  /** A failure of an item's own stream (from {@link #openForScan}); {@link #refusal} says it. */
  static final class ReadFailure extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient ScanItem item;

    ReadFailure(ScanItem item, IOException cause) {
      super(cause);
      this.item = item;
    }

    /** {@link ScanItem#unreadable} for the item and the cause. */
    RefusalException refusal() {
      return item.unreadable((IOException) getCause());
    }
  }

  public ScanItem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(content, "content");
    if (size < 0) {
      throw new IllegalArgumentException("size < 0: " + size);
    }
  }
}
