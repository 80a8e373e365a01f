package org.neguard.harden.probe;

/**
 * How many connects a sweep keeps in flight, adapted to how the target answers, as nmap's
 * congestion control does: every prompt answer (a reset or a handshake to a port's first SYN) lets
 * the window grow by one, up to the ceiling the user set; an answer to a retry proves that a SYN
 * was lost on a path that works, and halves the window, once per flight (the losses of one burst
 * are one signal), never below the floor.
 *
 * <p>Silence alone shrinks nothing, as in nmap: a port that a firewall drops never answers a retry
 * either, and a window shrunk by it would only make the scan of a filtered host slower without
 * finding more. Times are {@link System#nanoTime()} values.
 *
 * <p>Not thread-safe: one per selector thread.
 */
final class ConnectWindow {
  private final int floor;
  private final int ceiling;
  private int size;
  private long lastShrinkAt;
  private boolean shrunk;
  private int shrinks;
  private int smallest;

  ConnectWindow(int floor, int ceiling) {
    if (floor < 1 || ceiling < floor) {
      throw new IllegalArgumentException("window bounds must satisfy 1 <= floor <= ceiling: " + floor + ".." + ceiling);
    }
    this.floor = floor;
    this.ceiling = ceiling;
    this.size = ceiling;
    this.smallest = ceiling;
  }

  /** The window of a sweep of at most {@code ceiling} connects in flight: its floor is an eighth of it. */
  static ConnectWindow upTo(int ceiling) {
    return new ConnectWindow(Math.min(ceiling, Math.max(4, ceiling / 8)), ceiling);
  }

  /** Connects that may be in flight now. */
  int size() {
    return size;
  }

  /** How often the window was halved. */
  int shrinks() {
    return shrinks;
  }

  /** The smallest the window has been. */
  int smallest() {
    return smallest;
  }

  /**
   * An answer (reset or handshake) at {@code now} to the SYN sent at {@code sentAt}, the port's
   * first ({@code retry} false) or a retry.
   */
  void answered(boolean retry, long sentAt, long now) {
    if (!retry) {
      if (size < ceiling) {
        size++;
      }
      return;
    }
    // A retry sent before the last halving was in flight with the losses that caused it.
    if (shrunk && sentAt - lastShrinkAt <= 0) {
      return;
    }
    shrunk = true;
    lastShrinkAt = now;
    int half = Math.max(floor, size / 2);
    if (half < size) {
      size = half;
      shrinks++;
      smallest = Math.min(smallest, size);
    }
  }
}
