package org.neguard.agent.client;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
import org.neguard.api.device.Poll;

/**
 * A device's polls on one kept-alive connection of its own: the request {@link
 * DeviceClient#poll} sends ({@code GET /api/device/v1/poll} with {@code If-None-Match}, mutual
 * TLS with the device certificate, the device CA as the only trust anchor, the server's name
 * checked as HTTPS checks it), written as HTTP/1.1 straight on the device's TLS socket. Built for
 * {@code neguard sim agents}, whose thousands of devices share two cores with the server:
 * {@code HttpsURLConnection} parses a URL, selects a proxy and builds header maps for every
 * request, which cost the load generator more CPU per poll than the server's whole answer.
 *
 * <p>A connection the server closed (its keep-alive timeout, its request limit, {@code
 * Connection: close}) is opened again, and a poll that failed on a reused connection is sent
 * once more on a new one (a poll changes nothing on the server). After a renewal ({@link
 * DeviceClient#renew}) the next poll connects with the new certificate. Answers are bounded as
 * the client's ({@link DeviceClient#MAX_ANSWER}). The evidence a poll's challenge asks for goes
 * on the same connection ({@link #evidence}), as an agent's HTTP client sends it on the connection
 * it keeps. Thread-safe (one request at a time).
 */
public final class KeptPoll implements Closeable {
  private static final String PATH = "/api/device/v1/poll";
  private static final String EVIDENCE = "/api/device/v1/evidence";
  private static final int MAX_LINE = 8192;
  private static final int MAX_HEADERS = 100;
  private static final int MAX_INTERIM = 8;

  private final DeviceClient client;
  private final String host;
  private final int port;
  private final byte[] head;
  /** The Host field of every request. */
  private final String hostField;
  private SSLSocketFactory factory;
  private SSLSocket socket;
  private InputStream in;
  private OutputStream out;

  private KeptPoll(DeviceClient client) {
    this.client = client;
    URI base = client.baseUrl();
    String h = base.getHost();
    // An IPv6 literal comes bracketed, as the Host header wants it; the socket wants it bare.
    this.host = h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
    this.port = base.getPort() < 0 ? 443 : base.getPort();
    this.hostField = "Host: " + h + (base.getPort() < 0 ? "" : ":" + base.getPort()) + "\r\n";
    this.head = ("GET " + PATH + " HTTP/1.1\r\n" + hostField + "Accept: application/json\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Polls for {@code client}'s device on a connection of its own, opened at the first poll. */
  public static KeptPoll of(DeviceClient client) {
    if (client.identity() == null) {
      throw new IllegalStateException("not enrolled: a poll needs the device's certificate");
    }
    return new KeptPoll(client);
  }

  /** As {@link DeviceClient#poll}: 304 (nothing changed since {@code etag}) or the poll. */
  public synchronized DeviceClient.PollAnswer poll(String etag)
      throws IOException, DeviceApiException {
    Answer a = send(request(etag));
    if (a.status == 304) {
      return new DeviceClient.PollAnswer(false, etag, null);
    }
    if (a.status == 200) {
      return new DeviceClient.PollAnswer(true, a.etag, WireJson.read(a.body, Poll.class));
    }
    throw DeviceClient.refusal(a.status, a.body);
  }

  /**
   * As {@link DeviceClient#evidence}, on this connection: right after the poll that brought the
   * challenge it is still open, so a device that opens a connection per poll makes one TLS
   * handshake per attestation instead of two. Unlike the poll, it is sent once: a copy sent again
   * after a failure could reach the server after a new challenge was opened, be judged against
   * that nonce and quarantine the NE (a replay, as far as the validation entity can tell). Lost,
   * the evidence costs nothing: the challenge stays open and the next poll brings it again.
   *
   * @return the validation entity's judgement of the evidence
   * @throws DeviceApiException the server's refusal (400 not evidence, 403 not this device's,
   *     409 the nonce already judged or expired)
   */
  public synchronized AttestationResult evidence(EvidenceSubmission submission)
      throws IOException, DeviceApiException {
    byte[] body = WireJson.write(Objects.requireNonNull(submission, "submission"));
    byte[] fields = ("POST " + EVIDENCE + " HTTP/1.1\r\n" + hostField
        + "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = new byte[fields.length + body.length];
    System.arraycopy(fields, 0, request, 0, fields.length);
    System.arraycopy(body, 0, request, fields.length, body.length);
    if (socket != null && factory != client.socketFactory()) {
      close(); // a renewal since the poll: the new certificate's connection
    }
    Answer a = exchange(request);
    if (a.status == 200) {
      return WireJson.read(a.body, AttestationResult.class);
    }
    throw DeviceClient.refusal(a.status, a.body);
  }

  @Override
  public synchronized void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // Closing a connection that is gone already: nothing left to release.
      }
    }
    socket = null;
    in = null;
    out = null;
  }

  private byte[] request(String etag) {
    if (etag != null && (etag.indexOf('\r') >= 0 || etag.indexOf('\n') >= 0)) {
      throw new IllegalArgumentException("etag holds a line break: " + etag);
    }
    String tail = (etag == null ? "" : "If-None-Match: " + etag + "\r\n") + "\r\n";
    byte[] t = tail.getBytes(StandardCharsets.ISO_8859_1);
    byte[] r = new byte[head.length + t.length];
    System.arraycopy(head, 0, r, 0, head.length);
    System.arraycopy(t, 0, r, head.length, t.length);
    return r;
  }

  /**
   * {@code request} on the kept connection, or on a new one (none yet, or a renewal changed the
   * certificate); failed on a reused connection, once more on a new one.
   */
  private Answer send(byte[] request) throws IOException {
    boolean reused = socket != null && factory == client.socketFactory();
    if (!reused) {
      close();
    }
    try {
      return exchange(request);
    } catch (IOException e) {
      close();
      if (!reused) {
        throw e;
      }
      return exchange(request);
    }
  }

  private Answer exchange(byte[] request) throws IOException {
    if (socket == null) {
      connect();
    }
    try {
      out.write(request);
      out.flush();
      Answer a = read();
      if (a.close) {
        close();
      }
      return a;
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private void connect() throws IOException {
    SSLSocketFactory f = client.socketFactory();
    int timeout = (int) client.timeout().toMillis();
    Socket plain = new Socket();
    SSLSocket s;
    try {
      plain.connect(new InetSocketAddress(host, port), timeout);
      plain.setSoTimeout(timeout);
      plain.setTcpNoDelay(true);
      s = (SSLSocket) f.createSocket(plain, host, port, true);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    try {
      // What HttpsURLConnection's default verifier checks: the certificate names this host.
      SSLParameters p = s.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(p);
      s.startHandshake();
      in = new BufferedInputStream(s.getInputStream(), 8192);
      out = s.getOutputStream();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    socket = s;
    factory = f;
  }

  /** An answer: its status, ETag, body (empty for 304) and whether the server closes. */
  private record Answer(int status, String etag, byte[] body, boolean close) {}

  private Answer read() throws IOException {
    // Interim (1xx) answers precede the final one on the same request (RFC 9110, 15.2).
    for (int interim = 0; ; interim++) {
      String statusLine = line();
      if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12
          || statusLine.charAt(8) != ' ') {
        throw new IOException("not an HTTP/1.x status line: " + statusLine);
      }
      int status;
      try {
        status = Integer.parseInt(statusLine.substring(9, 12));
      } catch (NumberFormatException e) {
        throw new IOException("not an HTTP/1.x status line: " + statusLine, e);
      }
      if (status == 101) {
        // No upgrade was asked: what follows would not be HTTP/1.1.
        throw new IOException("an unasked protocol switch: " + statusLine);
      }
      if (status < 100 || status > 599) {
        throw new IOException("not an HTTP status: " + statusLine);
      }
      if (status >= 200) {
        return answer(status, statusLine.startsWith("HTTP/1.0"));
      }
      if (interim == MAX_INTERIM) {
        throw new IOException("more than " + MAX_INTERIM + " interim answers");
      }
      for (int n = 0; field(n) != null; n++) {
        // an interim answer's fields (Early Hints and the like): none is used
      }
    }
  }

  /** The final answer after its status line. */
  private Answer answer(int status, boolean close) throws IOException {
    long length = -1;
    boolean chunked = false;
    String etag = null;
    String h;
    for (int n = 0; (h = field(n)) != null; n++) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = contentLength(length, value);
        case "transfer-encoding" -> {
          // Any other coding would leave the body's end unknown (RFC 9112, 6.3).
          if (!value.equalsIgnoreCase("chunked")) {
            throw new IOException("Transfer-Encoding " + value + ": only chunked is read");
          }
          chunked = true;
        }
        case "connection" -> close |= value.toLowerCase(Locale.ROOT).contains("close");
        case "etag" -> etag = value;
        default -> { }
      }
    }
    byte[] body;
    if (status == 304 || status == 204) {
      body = new byte[0]; // no body, whatever the headers say (RFC 9112, 6.3)
    } else if (chunked) {
      body = chunks();
    } else if (length >= 0) {
      if (length > DeviceClient.MAX_ANSWER) {
        throw new IOException("the server's answer of " + length + " bytes is larger than "
            + DeviceClient.MAX_ANSWER);
      }
      body = in.readNBytes((int) length);
      if (body.length != length) {
        throw new EOFException("the answer ended after " + body.length + " of " + length
            + " bytes");
      }
    } else {
      body = bounded(in);
      close = true; // delimited by the end of the connection
    }
    return new Answer(status, etag, body, close);
  }

  /**
   * {@code value} of a Content-Length field, the first ({@code previous} -1): a second one, or a
   * sign, or anything but digits, leaves the body's end in doubt (RFC 9112, 6.3: unrecoverable).
   */
  private static long contentLength(long previous, String value) throws IOException {
    if (previous >= 0) {
      throw new IOException("a second Content-Length: " + value);
    }
    if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IOException("Content-Length not a decimal number: " + value);
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IOException("Content-Length " + value, e);
    }
  }

  /**
   * The {@code n}-th field line (from 0) of a header or trailer section, or null at its end:
   * bounded in number as in length, and never folded (obs-fold, refused by RFC 9112, 5.2).
   */
  private String field(int n) throws IOException {
    String h = line();
    if (h.isEmpty()) {
      return null;
    }
    if (n == MAX_HEADERS) {
      throw new IOException("more than " + MAX_HEADERS + " field lines");
    }
    if (h.charAt(0) == ' ' || h.charAt(0) == '\t') {
      throw new IOException("a folded field line: " + h);
    }
    if (h.indexOf(':') <= 0) {
      throw new IOException("not a field line: " + h);
    }
    return h;
  }

  private byte[] chunks() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String size = line();
      int semi = size.indexOf(';');
      int n;
      try {
        n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("not a chunk size: " + size, e);
      }
      if (n < 0 || body.size() + (long) n > DeviceClient.MAX_ANSWER) {
        throw new IOException("the server's answer is larger than " + DeviceClient.MAX_ANSWER
            + " bytes");
      }
      if (n == 0) {
        for (int t = 0; field(t) != null; t++) {
          // trailer fields: none is used
        }
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(n);
      if (chunk.length != n) {
        throw new EOFException("a chunk ended after " + chunk.length + " of " + n + " bytes");
      }
      body.write(chunk);
      if (!line().isEmpty()) {
        throw new IOException("a chunk of " + n + " bytes is not followed by CRLF");
      }
    }
  }

  private static byte[] bounded(InputStream in) throws IOException {
    byte[] b = in.readNBytes(DeviceClient.MAX_ANSWER + 1);
    if (b.length > DeviceClient.MAX_ANSWER) {
      throw new IOException("the server's answer is larger than " + DeviceClient.MAX_ANSWER
          + " bytes");
    }
    return b;
  }

  /** One line without its CRLF, at most {@link #MAX_LINE} bytes. */
  private String line() throws IOException {
    StringBuilder s = new StringBuilder(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the connection ended in a line" + (s.length() == 0 ? ""
            : ": " + s));
      }
      if (c == '\n') {
        int len = s.length();
        return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
      }
      if (s.length() == MAX_LINE) {
        throw new IOException("a line longer than " + MAX_LINE + " bytes");
      }
      s.append((char) c);
    }
  }
}
