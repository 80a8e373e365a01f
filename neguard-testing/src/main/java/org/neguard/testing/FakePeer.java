package org.neguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A TCP peer on one address that misbehaves as a test tells it to: stays silent, answers
 * garbage, hangs up early, stops reading, greets with a banner. It stands in for a real server
 * only where the real one cannot be made to misbehave; each connection is served by its own
 * {@link Conversation}, on its own thread, and closed when the conversation returns.
 *
 * <pre>{@code
 * try (FakePeer peer = FakePeer.loopback(n -> n == 0 ? FakePeer.banner("220 ready\r\n")
 *     : FakePeer.SILENT)) {
 *   connect to peer.port() ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close} stops accepting, closes every connection still open (which
 * ends a {@link #SILENT} conversation) and waits for the threads.
 */
public final class FakePeer implements AutoCloseable {
  /** What the peer does with one accepted connection; the connection is closed afterwards. */
  @FunctionalInterface
  public interface Conversation {
    void serve(Socket s) throws IOException, InterruptedException;
  }

  /** Reads nothing and answers nothing; the connection stays open until the peer closes. */
  public static final Conversation SILENT = s -> {
    while (!s.isClosed()) {
      Thread.sleep(20);
    }
  };

  /** Closes the connection at once. */
  public static final Conversation HANG_UP = s -> { };

  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> sockets = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  private FakePeer(InetAddress address, IntFunction<Conversation> script) throws IOException {
    server = new ServerSocket(0, 50, address);
    AtomicInteger count = new AtomicInteger();
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Conversation c = script.apply(count.getAndIncrement());
          Thread t = new Thread(() -> serve(s, c), "fake-peer-conn");
          t.setDaemon(true);
          synchronized (sockets) {
            sockets.add(s);
            threads.add(t);
            sockets.notifyAll();
          }
          t.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "fake-peer");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A peer on the loopback address whose n-th connection (from 0) gets {@code script(n)}. */
  public static FakePeer loopback(IntFunction<Conversation> script) throws IOException {
    return on(InetAddress.getLoopbackAddress(), script);
  }

  /** A peer on the loopback address that holds the same conversation with every connection. */
  public static FakePeer always(Conversation each) throws IOException {
    return loopback(n -> each);
  }

  /** A peer on {@code address} (for example {@code ::1}) with a script as for {@link #loopback}. */
  public static FakePeer on(InetAddress address, IntFunction<Conversation> script)
      throws IOException {
    return new FakePeer(address, script);
  }

  /** The port it listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /**
   * Waits up to {@code timeout} until the peer has accepted at least {@code n} connections, and
   * says whether it has: with {@code n = 1} and a short timeout, that a client did not connect.
   */
  public boolean awaitAccepted(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (sockets) {
      while (sockets.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        sockets.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /**
   * Writes {@code banner} first, then waits up to two seconds for the client to speak or hang
   * up, so that a probe sees a live service.
   */
  public static Conversation banner(String banner) {
    return s -> {
      s.setSoTimeout(2000);
      write(s, banner);
      s.getInputStream().read(new byte[256]);
    };
  }

  /** Writes {@code text} (ISO-8859-1) and flushes. */
  public static void write(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /**
   * Reads up to and including {@code end} (a NUL after a command, a blank line after a head),
   * or to the end of the stream.
   */
  public static void readThrough(InputStream in, String end) throws IOException {
    byte[] e = end.getBytes(StandardCharsets.ISO_8859_1);
    int matched = 0;
    int c;
    while (matched < e.length && (c = in.read()) >= 0) {
      matched = c == (e[matched] & 0xff) ? matched + 1 : c == (e[0] & 0xff) ? 1 : 0;
    }
  }

  private static void serve(Socket s, Conversation c) {
    try (s) {
      c.serve(s);
    } catch (IOException | InterruptedException e) {
      // The client went away or the peer closed: the test judges what the client saw.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    List<Thread> joined;
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
      joined = List.copyOf(threads);
    }
    try {
      acceptor.join(5_000);
      for (Thread t : joined) {
        t.interrupt(); // ends a conversation that sleeps to stall its client
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
