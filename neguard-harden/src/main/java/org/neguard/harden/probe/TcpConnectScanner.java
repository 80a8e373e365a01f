package org.neguard.harden.probe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.BooleanSupplier;
import org.neguard.harden.PortState;

/**
 * A TCP connect scan on one selector thread: up to {@code concurrency} non-blocking connects in
 * flight, each given a deadline; a reset means closed, a completed handshake open, silence until
 * the deadline a retry and, after the last retry, filtered (nmap's {@code -sT} semantics).
 *
 * <p>The first attempt at a port uses an adaptive deadline: once enough answers were timed, a
 * multiple of the slowest answer seen (never below {@code MIN_ADAPTIVE}, never above the
 * configured timeout), because on a LAN a dropped SYN otherwise costs a full second. Retries always
 * wait the full configured timeout, so a slow answer is never taken for a dropped one.
 *
 * <p>Not thread-safe: one scan per instance, on the calling thread.
 */
final class TcpConnectScanner {
  /** How an address answered as a whole. */
  enum Reach {
    ANSWERED,
    SILENT,
    UNREACHABLE
  }

  /** The outcome for every port: states indexed by port, plus what the target did overall. */
  static final class Result {
    final PortState[] state = new PortState[65536];
    final String[] detail = new String[65536];
    int open;
    int closed;
    int filtered;
    boolean cancelled;
    String unreachable;
    /** How often a connect window was halved for a lost SYN, and the smallest it was. */
    int windowShrinks;
    int smallestWindow = Integer.MAX_VALUE;
  }

  private static final long MIN_ADAPTIVE_NANOS = 150_000_000L;
  private static final int ADAPTIVE_SAMPLES = 32;

  private final InetAddress target;
  private final int concurrency;
  private final long timeoutNanos;
  private final int retries;
  private final BooleanSupplier cancelled;
  private final java.net.ProtocolFamily family;
  private final ScanListener listener;

  private final ConnectWindow window;
  private int active; // connects in flight
  private int finished; // ports concluded
  private long slowestAnswerNanos;
  private int answers;

  TcpConnectScanner(InetAddress target, int concurrency, Duration timeout, int retries,
      BooleanSupplier cancelled, ScanListener listener) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency < 1: " + concurrency);
    }
    if (retries < 0 || retries > 32767) {
      throw new IllegalArgumentException("retries out of range 0..32767: " + retries);
    }
    this.target = target;
    this.family = target instanceof java.net.Inet6Address
        ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET;
    this.concurrency = concurrency;
    this.window = ConnectWindow.upTo(concurrency);
    this.timeoutNanos = timeout.toNanos();
    this.retries = retries;
    this.cancelled = cancelled;
    this.listener = listener;
  }

  /**
   * One connect in flight. Pooled: a sweep allocates no attempt per port, only as many as were
   * ever in flight (or waiting in a lane) at once.
   */
  private static final class Attempt {
    int port;
    int number;
    long started;
    long deadline;
    SocketChannel channel;
    boolean done;
  }

  /** A FIFO of ints that grows when full and never allocates otherwise. */
  static final class IntQueue {
    private int[] items = new int[64];
    private int head;
    private int size;

    boolean isEmpty() {
      return size == 0;
    }

    void add(int v) {
      if (size == items.length) {
        int[] bigger = new int[items.length * 2];
        for (int i = 0; i < size; i++) {
          bigger[i] = items[(head + i) % items.length];
        }
        items = bigger;
        head = 0;
      }
      items[(head + size) % items.length] = v;
      size++;
    }

    int poll() {
      int v = items[head];
      head = (head + 1) % items.length;
      size--;
      return v;
    }
  }

  /**
   * Scans {@code ports} on {@code threads} selector threads, each with its share of the
   * concurrency and an interleaved share of the ports (blocks of 256, so every thread meets low
   * and high ports alike). The kernel's work per connect dominates, so a second core nearly
   * halves a sweep.
   */
  static Result scanParallel(InetAddress target, int[] ports, int threads, int concurrency, Duration timeout,
      int retries, BooleanSupplier cancelled, ScanListener listener) throws IOException {
    int t = Math.max(1, Math.min(threads, Math.max(1, ports.length / 1024)));
    if (t == 1) {
      return new TcpConnectScanner(target, concurrency, timeout, retries, cancelled, listener).scan(ports);
    }
    int[][] share = new int[t][];
    int[] counts = new int[t];
    for (int i = 0; i < ports.length; i++) {
      counts[(i >> 8) % t]++;
    }
    for (int w = 0; w < t; w++) {
      share[w] = new int[counts[w]];
      counts[w] = 0;
    }
    for (int i = 0; i < ports.length; i++) {
      int w = (i >> 8) % t;
      share[w][counts[w]++] = ports[i];
    }
    java.util.concurrent.atomic.AtomicLongArray done = new java.util.concurrent.atomic.AtomicLongArray(t);
    Result[] results = new Result[t];
    IOException[] failures = new IOException[t];
    Thread[] workers = new Thread[t];
    for (int w = 0; w < t; w++) {
      int me = w;
      ScanListener mine = (phase, d, total) -> {
        done.set(me, d);
        long sum = 0;
        for (int i = 0; i < done.length(); i++) {
          sum += done.get(i);
        }
        listener.progress(phase, sum, ports.length);
      };
      TcpConnectScanner s = new TcpConnectScanner(target, Math.max(1, concurrency / t), timeout, retries, cancelled, mine);
      workers[w] = new Thread(() -> {
        try {
          results[me] = s.scan(share[me]);
        } catch (IOException e) {
          failures[me] = e;
        }
      }, "neguard-tcp-scan-" + w);
      workers[w].setDaemon(true);
      workers[w].start();
    }
    for (Thread w : workers) {
      try {
        w.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        for (Thread x : workers) {
          x.interrupt();
        }
        throw new IOException("interrupted", e);
      }
    }
    for (IOException e : failures) {
      if (e != null) {
        throw e;
      }
    }
    Result merged = new Result();
    for (Result r : results) {
      for (int p = 1; p < 65536; p++) {
        if (r.state[p] != null) {
          merged.state[p] = r.state[p];
          merged.detail[p] = r.detail[p];
        }
      }
      merged.open += r.open;
      merged.closed += r.closed;
      merged.filtered += r.filtered;
      merged.cancelled |= r.cancelled;
      merged.windowShrinks += r.windowShrinks;
      merged.smallestWindow = Math.min(merged.smallestWindow, r.smallestWindow);
      if (merged.unreachable == null) {
        merged.unreachable = r.unreachable;
      }
    }
    if (merged.open > 0 || merged.closed > 0) {
      merged.unreachable = null;
    }
    return merged;
  }

  Result scan(int[] ports) throws IOException {
    Result r = new Result();
    ArrayDeque<Attempt> inFlight = new ArrayDeque<>(); // started in order, so deadlines ascend per lane
    ArrayDeque<Attempt> retryLane = new ArrayDeque<>(); // retries have longer deadlines: own FIFO
    ArrayDeque<Attempt> pool = new ArrayDeque<>(); // concluded attempts, to be reused
    IntQueue retryQueue = new IntQueue(); // attempt number << 16 | port
    Attempt[] fresh = new Attempt[concurrency];
    int next = 0;
    finished = 0;
    active = 0;
    long lastProgress = 0;
    try (Selector selector = Selector.open()) {
      while (finished < ports.length) {
        if (cancelled.getAsBoolean()) {
          r.cancelled = true;
          break;
        }
        long now = System.nanoTime();
        // Start new attempts: retries first, they are the oldest work. Most ports answer (a
        // reset or a handshake) before the batch is even issued, so each fresh attempt is
        // first polled directly; only the silent ones are registered with the selector, which
        // keeps the system calls per port at nmap's count.
        int freshCount = 0;
        while (active < window.size() && (!retryQueue.isEmpty() || next < ports.length)) {
          int port;
          int number;
          if (!retryQueue.isEmpty()) {
            int rq = retryQueue.poll();
            port = rq & 0xffff;
            number = rq >>> 16;
          } else {
            port = ports[next++];
            number = 0;
          }
          Attempt a = pool.isEmpty() ? new Attempt() : pool.poll();
          a.port = port;
          a.number = number;
          a.started = now;
          a.deadline = now + (number == 0 ? firstTimeout() : timeoutNanos);
          a.done = false;
          a.channel = null;
          SocketChannel ch;
          try {
            ch = SocketChannel.open(family);
            ch.configureBlocking(false);
          } catch (IOException e) {
            throw new IOException("cannot open a socket (descriptor limit? lower the concurrency): " + e.getMessage(), e);
          }
          a.channel = ch;
          try {
            if (ch.connect(new InetSocketAddress(target, port))) {
              conclude(r, a, PortState.OPEN, "connected");
              pool.add(a);
              finished++;
              continue;
            }
          } catch (ConnectException e) {
            conclude(r, a, PortState.CLOSED, "refused");
            pool.add(a);
            finished++;
            continue;
          } catch (SocketException e) {
            // No route, network unreachable, a failed neighbour entry: refused before a SYN left.
            // With nothing answered yet the target is unreachable: stop; otherwise it is this
            // port's path only (filtered, as nmap says), and the sweep goes on.
            String why = (e instanceof NoRouteToHostException ? "no route to host " : "cannot reach ")
                + target.getHostAddress() + " (" + e.getMessage() + ")";
            if (r.open == 0 && r.closed == 0) {
              closeQuietly(ch);
              r.unreachable = why;
              return r;
            }
            conclude(r, a, PortState.FILTERED, why);
            pool.add(a);
            finished++;
            continue;
          }
          if (freshCount == fresh.length) {
            fresh = java.util.Arrays.copyOf(fresh, fresh.length * 2);
          }
          fresh[freshCount++] = a;
          active++;
        }
        for (int i = 0; i < freshCount; i++) {
          Attempt a = fresh[i];
          fresh[i] = null;
          if (poll(r, a, a.channel)) {
            pool.add(a);
            active--;
            finished++;
          } else {
            a.channel.register(selector, SelectionKey.OP_CONNECT, a);
            (a.number == 0 ? inFlight : retryLane).add(a);
          }
        }
        long wait = nextDeadline(inFlight, retryLane) - System.nanoTime();
        boolean moreToStart = active < window.size() && (!retryQueue.isEmpty() || next < ports.length);
        if (wait > 0 && !moreToStart) {
          selector.select(Math.max(1, wait / 1_000_000L));
        } else {
          selector.selectNow();
        }
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          Attempt a = (Attempt) k.attachment();
          if (a.done || a.channel != k.channel()) {
            continue; // concluded already (the attempt may since serve another port)
          }
          if (poll(r, a, a.channel)) {
            active--;
            finished++;
          }
        }
        // Expire attempts whose deadline passed; concluded ones leave their lane for the pool.
        now = System.nanoTime();
        expire(r, inFlight, pool, retryQueue, now);
        expire(r, retryLane, pool, retryQueue, now);
        if (r.unreachable != null && r.open == 0 && r.closed == 0 && finished >= Math.min(ports.length, concurrency)) {
          break; // every answer so far says the host cannot be reached: stop early
        }
        if (now - lastProgress > 100_000_000L) {
          listener.progress("tcp", finished, ports.length);
          lastProgress = now;
        }
      }
      for (Attempt a : inFlight) {
        closeQuietly(a.channel);
      }
      for (Attempt a : retryLane) {
        closeQuietly(a.channel);
      }
      for (SelectionKey k : selector.keys()) {
        closeQuietly(k.channel());
      }
    }
    listener.progress("tcp", finished, ports.length);
    if (r.open > 0 || r.closed > 0) {
      r.unreachable = null; // something answered: the host is there
    }
    r.windowShrinks = window.shrinks();
    r.smallestWindow = window.smallest();
    return r;
  }

  /**
   * Pops the head of {@code lane} while it is concluded or past its deadline: a silent attempt is
   * retried or, after the last retry, filtered.
   */
  private void expire(Result r, ArrayDeque<Attempt> lane, ArrayDeque<Attempt> pool, IntQueue retryQueue, long now) {
    while (!lane.isEmpty() && (lane.peek().done || lane.peek().deadline <= now)) {
      Attempt a = lane.poll();
      if (a.done) {
        pool.add(a);
        continue;
      }
      a.done = true;
      closeQuietly(a.channel);
      active--;
      if (a.number < retries) {
        retryQueue.add((a.number + 1) << 16 | a.port);
      } else {
        r.state[a.port] = PortState.FILTERED;
        r.detail[a.port] = "no answer to " + (a.number + 1) + " SYN(s)";
        r.filtered++;
        finished++;
      }
      pool.add(a);
    }
  }

  /** Whether the attempt has concluded, after one non-blocking look at its connect. */
  private boolean poll(Result r, Attempt a, SocketChannel ch) {
    try {
      if (!ch.finishConnect()) {
        return false;
      }
      timed(a);
      conclude(r, a, PortState.OPEN, "connected");
    } catch (ConnectException e) {
      timed(a);
      conclude(r, a, PortState.CLOSED, "refused");
    } catch (NoRouteToHostException e) {
      // An ICMP host/net unreachable (or ARP failure) for this port: nmap calls it filtered,
      // and when nothing else answers the whole target is unreachable.
      conclude(r, a, PortState.FILTERED, "host unreachable: " + e.getMessage());
      if (r.unreachable == null) {
        r.unreachable = "no route to host " + target.getHostAddress() + " (" + e.getMessage() + ")";
      }
    } catch (IOException e) {
      conclude(r, a, PortState.FILTERED, String.valueOf(e.getMessage()));
    }
    return true;
  }

  private long firstTimeout() {
    if (answers < ADAPTIVE_SAMPLES) {
      return timeoutNanos;
    }
    return Math.min(timeoutNanos, Math.max(MIN_ADAPTIVE_NANOS, slowestAnswerNanos * 10));
  }

  private void timed(Attempt a) {
    long now = System.nanoTime();
    long rtt = now - a.started;
    answers++;
    slowestAnswerNanos = Math.max(slowestAnswerNanos, rtt);
    window.answered(a.number > 0, a.started, now);
  }

  private static long nextDeadline(ArrayDeque<Attempt> a, ArrayDeque<Attempt> b) {
    long d = Long.MAX_VALUE;
    if (!a.isEmpty()) {
      d = a.peek().deadline;
    }
    if (!b.isEmpty()) {
      d = Math.min(d, b.peek().deadline);
    }
    return d == Long.MAX_VALUE ? System.nanoTime() + 50_000_000L : d;
  }

  private static void conclude(Result r, Attempt a, PortState s, String detail) {
    a.done = true;
    closeQuietly(a.channel);
    r.state[a.port] = s;
    r.detail[a.port] = detail;
    if (s == PortState.OPEN) {
      r.open++;
    } else if (s == PortState.CLOSED) {
      r.closed++;
    } else {
      r.filtered++;
    }
  }

  private static void closeQuietly(java.nio.channels.Channel c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (IOException e) {
      // Closing a probe socket: nothing to do.
    }
  }
}
