package org.neguard.cli.support;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.neguard.harden.probe.ScanListener;
import org.neguard.progress.ProgressListener;

/**
 * The one progress bar of the CLI: a line on standard error, drawn only when a person is watching
 * (a terminal, not JSON mode) and at most five times a second. It counts bytes (building,
 * verifying, scanning a package) or items phase by phase (ports in a hardening scan). Close it to
 * clear its line before the result is printed.
 */
public final class TerminalProgress implements ProgressListener, ScanListener, AutoCloseable {
  private static final long INTERVAL_NANOS = 200_000_000L;

  /** What the bar counts. */
  private enum Unit {
    BYTES,
    ITEMS
  }

  private final PrintWriter err;
  private final String label;
  private final Unit unit;
  private final long start = System.nanoTime();
  private final AtomicLong lastDraw = new AtomicLong(start);
  private volatile boolean drawn;

  private TerminalProgress(PrintWriter err, String label, Unit unit) {
    this.err = err;
    this.label = label;
    this.unit = unit;
  }

  /** A bar that counts bytes, drawn only on a terminal and never in JSON mode. */
  public static TerminalProgress bytes(Output output, String label) {
    return new TerminalProgress(watched(output), label, Unit.BYTES);
  }

  /** A bar that counts items, labelled with each phase, drawn as {@link #bytes} is. */
  public static TerminalProgress items(Output output) {
    return new TerminalProgress(watched(output), "", Unit.ITEMS);
  }

  /** Standard error if a person watches it, else null: nothing is drawn. */
  private static PrintWriter watched(Output output) {
    return watching(output) ? output.err() : null;
  }

  /**
   * Whether a person watches this command's standard error: a terminal, not JSON mode. Only then
   * is a bar drawn; a log or a pipe gets plain lines instead.
   */
  public static boolean watching(Output output) {
    return !output.json() && System.console() != null;
  }

  /**
   * The bar itself, {@code width} characters between brackets: one character per share of
   * {@code total}, {@code marks[i]} repeated for {@code counts[i]}, the rest blank.
   */
  public static String bar(int width, long total, char[] marks, long... counts) {
    StringBuilder b = new StringBuilder("[");
    long done = 0;
    int drawn = 0;
    for (int i = 0; i < counts.length; i++) {
      done += counts[i];
      int upTo = total == 0 ? 0 : (int) Math.min(width, done * width / total);
      for (; drawn < upTo; drawn++) {
        b.append(marks[i]);
      }
    }
    return b.append(" ".repeat(width - drawn)).append(']').toString();
  }

  @Override
  public void progress(long done, long total) {
    draw(label, done, total);
  }

  @Override
  public void progress(String phase, long done, long total) {
    draw(phase, done, total);
  }

  private void draw(String what, long done, long total) {
    if (err == null) {
      return;
    }
    long now = System.nanoTime();
    long last = lastDraw.get();
    if (now - last < INTERVAL_NANOS || !lastDraw.compareAndSet(last, now)) {
      return;
    }
    int percent = total == 0 ? 100 : (int) (done * 100 / total);
    String count = unit == Unit.BYTES
        ? String.format("%,d / %,d MiB", done >> 20, total >> 20)
        : String.format("%,d / %,d", done, total);
    synchronized (err) {
      err.printf("\r\033[K%-8s %s %3d%%  %s  %.1f s", what,
          // Nothing to do is all done: a full bar, as 100% says.
          total == 0 ? bar(25, 1, new char[] {'#'}, 1) : bar(25, total, new char[] {'#'},
              Math.min(done, total)), percent, count,
          (now - start) / 1e9);
      err.flush();
    }
    drawn = true;
  }

  /** Clears the bar's line. */
  @Override
  public void close() {
    if (err != null && drawn) {
      synchronized (err) {
        err.print("\r\033[K");
        err.flush();
      }
    }
  }
}
