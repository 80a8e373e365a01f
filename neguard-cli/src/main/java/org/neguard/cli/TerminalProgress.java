package org.neguard.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.neguard.progress.ProgressListener;

/**
 * A one-line progress bar on standard error, drawn only when a person is watching (a terminal)
 * and at most five times a second.
 */
final class TerminalProgress implements ProgressListener, AutoCloseable {
  private static final long INTERVAL_NANOS = 200_000_000L;

  private final PrintWriter err;
  private final String label;
  private final long start = System.nanoTime();
  private final AtomicLong lastDraw = new AtomicLong(start);
  private volatile boolean drawn;

  private TerminalProgress(PrintWriter err, String label) {
    this.err = err;
    this.label = label;
  }

  /** A progress bar, or {@link ProgressListener#NONE} when not on a terminal or in JSON mode. */
  static ProgressListener of(Output output, String label) {
    if (output.json() || System.console() == null) {
      return NONE;
    }
    return new TerminalProgress(output.err(), label);
  }

  @Override
  public void progress(long done, long total) {
    long now = System.nanoTime();
    long last = lastDraw.get();
    if (now - last < INTERVAL_NANOS || !lastDraw.compareAndSet(last, now)) {
      return;
    }
    int percent = total == 0 ? 100 : (int) (done * 100 / total);
    int filled = percent / 4;
    double seconds = (now - start) / 1e9;
    synchronized (err) {
      err.printf("\r%s [%-25s] %3d%%  %,d / %,d MiB  %.1f s",
          label, "#".repeat(filled), percent, done >> 20, total >> 20, seconds);
      err.flush();
    }
    drawn = true;
  }

  /** Clears the bar's line. */
  @Override
  public void close() {
    if (drawn) {
      synchronized (err) {
        err.print("\r\033[K");
        err.flush();
      }
    }
  }

  /** Closes {@code progress} if it is a bar. */
  static void finish(ProgressListener progress) {
    if (progress instanceof TerminalProgress t) {
      t.close();
    }
  }
}
