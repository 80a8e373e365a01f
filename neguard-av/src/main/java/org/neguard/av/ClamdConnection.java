package org.neguard.av;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One socket to clamd, TCP or Unix, with a deadline on every wait: the channel is non-blocking
 * and each connect, write and read waits on a selector for at most its timeout, because a
 * blocking {@code SocketChannel} has no read timeout (and a Unix-domain one has no {@code
 * Socket} to set {@code SO_TIMEOUT} on). One thread may write while another reads (a pipelined
 * {@code IDSESSION}: each direction waits on its own selector); otherwise not thread-safe.
 */
final class ClamdConnection implements AutoCloseable {
  /** Longest reply read; clamd's replies are a line ({@code stream: NAME FOUND}). */
  static final int MAX_REPLY = 4096;

  private final SocketChannel channel;
  private final Selector selector;
  private final Selector writeSelector;
  private final long ioTimeoutNanos;
  private final ByteBuffer in = ByteBuffer.allocate(MAX_REPLY);
  /**
   * A reply is owed only once a request has been sent whole: while another thread writes (a
   * pipelined session) and clamd takes the bytes, a reader waiting for a reply is not timed out;
   * the writer's own timeout covers a clamd that takes nothing.
   */
  private volatile boolean writing;
  private volatile long lastWrite = System.nanoTime();

  private ClamdConnection(
      SocketChannel channel, Selector selector, Selector writeSelector, Duration ioTimeout) {
    this.channel = channel;
    this.selector = selector;
    this.writeSelector = writeSelector;
    this.ioTimeoutNanos = ioTimeout.toNanos();
    in.flip(); // empty, ready to be read from
  }

  /**
   * Connects within {@code connectTimeout}.
   *
   * @throws SocketTimeoutException when the connection is not up in time
   * @throws IOException when it is refused, or the socket does not exist
   */
  static ClamdConnection open(ClamdEndpoint endpoint, Duration connectTimeout, Duration ioTimeout)
      throws IOException {
    SocketChannel ch = endpoint.openChannel();
    Selector selector = null;
    Selector writeSelector = null;
    boolean ok = false;
    try {
      if (!endpoint.isUnix()) {
        // Replies wait on the stream's last bytes: never hold them back for an ACK.
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      ch.configureBlocking(false);
      selector = Selector.open();
      if (!ch.connect(endpoint.address())) {
        SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        while (!ch.finishConnect()) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new SocketTimeoutException(
                "no connection within " + connectTimeout.toMillis() + " ms");
          }
          selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          selector.selectedKeys().clear();
        }
        key.cancel();
        selector.selectNow(); // deregisters the cancelled key
      }
      writeSelector = Selector.open();
      ClamdConnection c = new ClamdConnection(ch, selector, writeSelector, ioTimeout);
      ok = true;
      return c;
    } finally {
      if (!ok) {
        ch.close();
        if (selector != null) {
          selector.close();
        }
        if (writeSelector != null) {
          writeSelector.close();
        }
      }
    }
  }

  /** Sends a {@code z}-prefixed, NUL-terminated command. */
  void command(String command) throws IOException {
    write(ByteBuffer.wrap(("z" + command + "\0").getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * Writes every byte remaining in {@code buffers}.
   *
   * @throws SocketTimeoutException when clamd takes no byte for the I/O timeout
   */
  void write(ByteBuffer... buffers) throws IOException {
    writing = true;
    try {
      while (remaining(buffers)) {
        if (channel.write(buffers) == 0) {
          await(writeSelector, SelectionKey.OP_WRITE, "clamd took no data");
        } else {
          lastWrite = System.nanoTime();
        }
      }
    } finally {
      lastWrite = System.nanoTime();
      writing = false;
    }
  }

  /**
   * Reads one NUL-terminated reply and returns it without the NUL.
   *
   * @throws SocketTimeoutException when clamd sends nothing for the I/O timeout
   * @throws EOFException when clamd closes the connection before the NUL
   * @throws ProtocolException when the reply is longer than {@link #MAX_REPLY} bytes
   */
  String readReply() throws IOException {
    StringBuilder reply = new StringBuilder();
    while (true) {
      while (in.hasRemaining()) {
        byte b = in.get();
        if (b == 0) {
          return reply.toString();
        }
        if (reply.length() >= MAX_REPLY) {
          throw new ProtocolException(
              "clamd's reply is longer than " + MAX_REPLY + " bytes without an end: "
                  + printable(reply.substring(0, 80)) + "...");
        }
        reply.append((char) (b & 0xff));
      }
      in.clear();
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        throw new EOFException(
            reply.length() == 0
                ? "clamd closed the connection without a reply"
                : "clamd closed the connection in the middle of a reply: "
                    + printable(reply.toString()));
      }
      if (n == 0) {
        await(selector, SelectionKey.OP_READ, "clamd sent nothing");
      }
    }
  }

  private void await(Selector selector, int op, String what) throws IOException {
    try {
      awaitOn(selector, op, what);
    } catch (java.nio.channels.ClosedSelectorException
        | java.nio.channels.CancelledKeyException e) {
      // Closed by another thread (the other direction's, when the scan stops): an I/O failure.
      throw new java.nio.channels.AsynchronousCloseException();
    }
  }

  private void awaitOn(Selector selector, int op, String what) throws IOException {
    SelectionKey key = channel.register(selector, op);
    try {
      long start = System.nanoTime();
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          // select() returns at once for an interrupted thread: do not spin until the deadline.
          throw new java.io.InterruptedIOException(what + ": interrupted");
        }
        long now = System.nanoTime();
        long since = op == SelectionKey.OP_READ
            ? (writing ? now : Math.max(start, lastWrite))
            : start;
        long left = since + ioTimeoutNanos - now;
        if (left <= 0) {
          throw new SocketTimeoutException(
              what + " for " + TimeUnit.NANOSECONDS.toMillis(ioTimeoutNanos) + " ms");
        }
        if (selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))) > 0) {
          selector.selectedKeys().clear();
          return;
        }
      }
    } finally {
      key.interestOps(0);
    }
  }

  private static boolean remaining(ByteBuffer[] buffers) {
    for (ByteBuffer b : buffers) {
      if (b.hasRemaining()) {
        return true;
      }
    }
    return false;
  }

  /** The text with control characters shown as {@code \xNN}, for a message. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c < 0x20 || c >= 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing a socket we are done with: nothing to act on.
    }
    for (Selector s : new Selector[] {selector, writeSelector}) {
      try {
        s.close();
      } catch (IOException e) {
        // Same.
      }
    }
  }
}
