package org.neguard.cli;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.pki.CertificateIssuer;

/**
 * A man in the middle between one agent and the server's agents' port, for the attack tests.
 * Towards the agent it is a TLS server whose certificate (for 127.0.0.1) the test issued from
 * the server's own device CA, so the agent trusts it; towards the server it is that device, its
 * key and certificate read from the agent's state directory at each connection (none before
 * enrollment). It speaks plain HTTP/1.1 (no ALPN, so never h2), one request at a time: each
 * request goes upstream on a fresh connection ({@code Connection: close}), the whole answer is
 * read (chunked bodies decoded), handed to the current {@link Tamper}, and written back with a
 * {@code Content-Length}. Every exchange is recorded as the server sent it.
 */
final class TamperingProxy implements AutoCloseable {
  /** One request as the agent sent it. */
  record Request(String method, String target, List<String> headers, byte[] body) {}

  /** One answer; {@code headers} are the raw {@code Name: value} lines. */
  record Response(int status, String reason, List<String> headers, byte[] body) {
    Response withBody(byte[] newBody) {
      return new Response(status, reason, headers, newBody);
    }
  }

  /** One exchange, the answer as the server sent it (before any tampering). */
  record Exchange(Request request, Response response) {}

  /** What the man in the middle does to an answer on its way to the agent. */
  @FunctionalInterface
  interface Tamper {
    Tamper PASS = (req, resp) -> resp;

    Response apply(Request request, Response response) throws IOException;
  }

  private static final int MAX_HEAD = 64 * 1024;
  private static final int MAX_BODY = 64 * 1024 * 1024;

  private final SSLServerSocket listener;
  private final InetSocketAddress upstream;
  private final X509Certificate deviceCa;
  private final Path identityDir;
  private final List<Exchange> seen = new ArrayList<>();
  private final List<Socket> open = new ArrayList<>();
  private volatile Tamper tamper = Tamper.PASS;
  /** An outage: every request is dropped unanswered and never reaches the server. */
  private volatile boolean cut;
  private volatile boolean closed;

  /**
   * Listens on 127.0.0.1 (any free port) in front of {@code server}.
   *
   * @param caCert the server's device CA, which the proxy's certificate chains to
   * @param caKey its private key: the test controls the server's data
   * @param identityDir the agent's {@code state/identity}: the proxy talks upstream as it
   */
  TamperingProxy(X509Certificate caCert, PrivateKey caKey, URI server, Path identityDir)
      throws Exception {
    this.deviceCa = caCert;
    this.identityDir = identityDir;
    this.upstream = new InetSocketAddress(server.getHost(), server.getPort());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    Instant now = Instant.now();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=the man in the middle",
            pair.getPublic())
        .validity(now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)))
        .serverAuth().subjectAltNames(List.of("127.0.0.1", "localhost"))
        .issuedBy(caCert, caKey);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = "proxy".toCharArray();
    ks.setKeyEntry("proxy", pair.getPrivate(), pw, new Certificate[] {leaf, caCert});
    KeyManagerFactory kmf =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    listener = (SSLServerSocket) tls.getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    SSLParameters p = listener.getSSLParameters();
    p.setApplicationProtocols(new String[0]); // HTTP/1.1 only
    listener.setSSLParameters(p);
    Thread t = new Thread(this::accept, "tampering-proxy");
    t.setDaemon(true);
    t.start();
  }

  /** The URL to give the agent as {@code server.url}. */
  URI url() {
    return URI.create("https://127.0.0.1:" + listener.getLocalPort());
  }

  /** Cuts the agent off the server (a network outage), or ends the outage. */
  void cut(boolean on) {
    this.cut = on;
  }

  /** What the proxy does from now on to each answer. */
  void tamper(Tamper t) {
    this.tamper = t;
  }

  /** Every exchange so far, as the server answered. */
  synchronized List<Exchange> seen() {
    return List.copyOf(seen);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    synchronized (this) {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket s = listener.accept();
        synchronized (this) {
          open.add(s);
        }
        Thread t = new Thread(() -> serve(s), "tampering-proxy-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** One agent connection: requests one after another (keep-alive) until the agent closes. */
  private void serve(Socket agent) {
    try (agent) {
      agent.setSoTimeout(180_000);
      InputStream in = agent.getInputStream();
      OutputStream out = agent.getOutputStream();
      while (true) {
        List<String> head = readHead(in);
        if (head == null || cut) {
          return; // the connection closed unanswered
        }
        String[] line = head.get(0).split(" ", 3);
        List<String> headers = head.subList(1, head.size());
        Request req = new Request(line[0], line[1], List.copyOf(headers),
            readBody(in, headers, false));
        Response resp = forward(req);
        synchronized (this) {
          seen.add(new Exchange(req, resp));
        }
        write(out, tamper.apply(req, resp));
      }
    } catch (IOException e) {
      // the agent went away, or the test closed the proxy: nothing to tell
    }
  }

  private Response forward(Request req) throws IOException {
    try (SSLSocket s = (SSLSocket) upstreamTls().getSocketFactory().createSocket()) {
      s.connect(upstream, 10_000);
      s.setSoTimeout(60_000);
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(p);
      OutputStream out = s.getOutputStream();
      StringBuilder h = new StringBuilder(req.method() + " " + req.target() + " HTTP/1.1\r\n");
      for (String header : req.headers()) {
        String name = name(header);
        if (!name.equals("connection") && !name.equals("keep-alive")
            && !name.equals("transfer-encoding") && !name.equals("content-length")) {
          h.append(header).append("\r\n");
        }
      }
      if (req.body().length > 0 || !req.method().equals("GET")) {
        h.append("Content-Length: ").append(req.body().length).append("\r\n");
      }
      h.append("Connection: close\r\n\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(req.body());
      out.flush();
      InputStream in = s.getInputStream();
      List<String> head = readHead(in);
      if (head == null) {
        throw new EOFException("the server closed the connection without an answer");
      }
      String[] status = head.get(0).split(" ", 3);
      int code = Integer.parseInt(status[1]);
      List<String> headers = List.copyOf(head.subList(1, head.size()));
      boolean noBody = code / 100 == 1 || code == 204 || code == 304
          || req.method().equals("HEAD");
      return new Response(code, status.length > 2 ? status[2] : "", headers,
          noBody ? new byte[0] : readBody(in, headers, true));
    }
  }

  /** The device's TLS towards the server: its identity if enrolled, the device CA as anchor. */
  private SSLContext upstreamTls() throws IOException {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("device-ca", deviceCa);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (Files.exists(identityDir.resolve("device.crt"))) {
        DeviceIdentity id = DeviceIdentity.load(identityDir);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("device", id.keyPair().getPrivate(), new char[0],
            new Certificate[] {id.certificate(), id.ca()});
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
      }
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return tls;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("the proxy's upstream TLS: " + e.getMessage(), e);
    }
  }

  private static void write(OutputStream out, Response r) throws IOException {
    StringBuilder h = new StringBuilder("HTTP/1.1 " + r.status() + " " + r.reason() + "\r\n");
    for (String header : r.headers()) {
      String name = name(header);
      if (!name.equals("connection") && !name.equals("keep-alive")
          && !name.equals("transfer-encoding") && !name.equals("content-length")) {
        h.append(header).append("\r\n");
      }
    }
    boolean noBody = r.status() / 100 == 1 || r.status() == 204 || r.status() == 304;
    if (!noBody) {
      h.append("Content-Length: ").append(r.body().length).append("\r\n");
    }
    h.append("\r\n");
    out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(r.body());
    out.flush();
  }

  private static String name(String header) {
    int colon = header.indexOf(':');
    return (colon < 0 ? header : header.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
  }

  private static String value(List<String> headers, String name) {
    for (String h : headers) {
      if (name(h).equals(name)) {
        return h.substring(h.indexOf(':') + 1).trim();
      }
    }
    return null;
  }

  /** The start line and header lines, or null at a clean end of stream. */
  private static List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    int total = 0;
    while (true) {
      String line = readLine(in, lines.isEmpty());
      if (line == null) {
        return null;
      }
      total += line.length();
      if (total > MAX_HEAD) {
        throw new IOException("header section above " + MAX_HEAD + " bytes");
      }
      if (line.isEmpty()) {
        return lines;
      }
      lines.add(line);
    }
  }

  private static String readLine(InputStream in, boolean eofOk) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c;
      try {
        c = in.read();
      } catch (SocketException e) {
        c = -1;
      }
      if (c < 0) {
        if (eofOk && b.size() == 0) {
          return null;
        }
        throw new EOFException("the stream ended inside a line");
      }
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
      if (b.size() > MAX_HEAD) {
        throw new IOException("a line above " + MAX_HEAD + " bytes");
      }
    }
  }

  /** A body by Content-Length, chunked, or (an answer only) to the end of the stream. */
  private static byte[] readBody(InputStream in, List<String> headers, boolean toEof)
      throws IOException {
    String te = value(headers, "transfer-encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      while (true) {
        String size = readLine(in, false);
        int semi = size.indexOf(';');
        int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
        if (n == 0) {
          while (!readLine(in, false).isEmpty()) {
            // trailers: none expected, skipped
          }
          return b.toByteArray();
        }
        if (b.size() + n > MAX_BODY) {
          throw new IOException("a body above " + MAX_BODY + " bytes");
        }
        b.write(in.readNBytes(n));
        readLine(in, false);
      }
    }
    String cl = value(headers, "content-length");
    if (cl != null) {
      long n = Long.parseLong(cl);
      if (n > MAX_BODY) {
        throw new IOException("a body of " + n + " bytes, above " + MAX_BODY);
      }
      byte[] body = in.readNBytes((int) n);
      if (body.length != n) {
        throw new EOFException("the body ended after " + body.length + " of " + n + " bytes");
      }
      return body;
    }
    return toEof ? in.readNBytes(MAX_BODY) : new byte[0];
  }
}
