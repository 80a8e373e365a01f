package org.neguard.av;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where clamd listens: a TCP address ({@code tcp://HOST:PORT}) or a Unix socket ({@code
 * unix:/path}). Immutable and thread-safe.
 */
public final class ClamdEndpoint {
  private final String host;
  private final int port;
  private final Path socket;

  private ClamdEndpoint(String host, int port, Path socket) {
    this.host = host;
    this.port = port;
    this.socket = socket;
  }

  /**
   * A TCP endpoint. The host is resolved at each connection, not here.
   *
   * @throws IllegalArgumentException when the host is blank or the port is outside 1..65535
   */
  public static ClamdEndpoint tcp(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("clamd host is blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("clamd port outside 1..65535: " + port);
    }
    return new ClamdEndpoint(host, port, null);
  }

  /**
   * A Unix-socket endpoint.
   *
   * @throws IllegalArgumentException when the path is not absolute
   */
  public static ClamdEndpoint unix(Path socket) {
    Objects.requireNonNull(socket, "socket");
    if (!socket.isAbsolute()) {
      throw new IllegalArgumentException("clamd socket path is not absolute: " + socket);
    }
    return new ClamdEndpoint(null, 0, socket);
  }

  /**
   * Parses {@code tcp://HOST:PORT} (an IPv6 host in brackets: {@code tcp://[::1]:3310}) or {@code
   * unix:/absolute/path}, without the engine's {@code clamd:} prefix.
   *
   * @throws IllegalArgumentException naming the bad part and the accepted forms
   */
  public static ClamdEndpoint parse(String text) {
    Objects.requireNonNull(text, "text");
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.startsWith("tcp://")) {
      return parseTcp(text, text.substring("tcp://".length()));
    }
    if (lower.startsWith("unix:")) {
      String path = text.substring("unix:".length());
      if (path.startsWith("//")) {
        path = path.substring(2); // unix:///run/clamd.sock, the URI habit
      }
      if (path.isEmpty()) {
        throw bad(text, "the socket path is missing");
      }
      try {
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
          throw bad(text, "the socket path must be absolute");
        }
        return new ClamdEndpoint(null, 0, p);
      } catch (InvalidPathException e) {
        throw bad(text, "the socket path is invalid (" + e.getReason() + ")");
      }
    }
    throw bad(text, "it must start with tcp:// or unix:");
  }

  private static ClamdEndpoint parseTcp(String text, String rest) {
    String host;
    String portText;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
        throw bad(text, "an IPv6 address needs brackets and a port: tcp://[::1]:3310");
      }
      host = rest.substring(1, close);
      portText = rest.substring(close + 2);
    } else {
      int colon = rest.lastIndexOf(':');
      if (colon < 0) {
        throw bad(text, "the port is missing");
      }
      host = rest.substring(0, colon);
      portText = rest.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw bad(text, "an IPv6 address needs brackets: tcp://[::1]:3310");
      }
    }
    if (host.isEmpty() || host.chars().anyMatch(c -> c == '/' || c == '@' || c <= ' ')) {
      throw bad(text, "the host is missing or invalid");
    }
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw bad(text, "the port is not a number: '" + portText + "'");
    }
    if (port < 1 || port > 65535) {
      throw bad(text, "the port is outside 1..65535: " + port);
    }
    return new ClamdEndpoint(host, port, null);
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException(
        "bad clamd endpoint '" + text + "': " + why
            + " (use clamd:tcp://HOST:PORT or clamd:unix:/path/to/clamd.sock)");
  }

  /** Whether this is a Unix socket. */
  public boolean isUnix() {
    return socket != null;
  }

  /** A blocking channel not yet connected, of the endpoint's protocol family. */
  SocketChannel openChannel() throws IOException {
    return socket != null ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
  }

  /** The address to connect to; resolves a TCP host name now. */
  SocketAddress address() throws IOException {
    if (socket != null) {
      return UnixDomainSocketAddress.of(socket);
    }
    InetSocketAddress a = new InetSocketAddress(host, port);
    if (a.isUnresolved()) {
      throw new java.net.UnknownHostException("cannot resolve clamd host " + host);
    }
    return a;
  }

  /** {@code tcp://HOST:PORT} or {@code unix:/path}: the form {@link #parse} reads. */
  @Override
  public String toString() {
    if (socket != null) {
      return "unix:" + socket;
    }
    return "tcp://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClamdEndpoint e
        && Objects.equals(host, e.host)
        && port == e.port
        && Objects.equals(socket, e.socket);
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, socket);
  }
}
