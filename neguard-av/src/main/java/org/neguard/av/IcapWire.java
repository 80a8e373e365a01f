package org.neguard.av;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.measure.Sha256;

/**
 * ICAP/1.0 framing (RFC 3507 section 4) for {@link IcapEngine}: status lines, headers (folded
 * lines included), {@code Encapsulated} offsets, chunked bodies, and the de-facto infection
 * headers. Every read is bounded; a peer that breaks the framing gets a {@link Malformed}, a
 * peer that hangs up an {@link IOException}. Stateless.
 */
final class IcapWire {
  static final int MAX_HEAD = 64 << 10;
  static final int MAX_LINE = 8 << 10;
  private static final Pattern STATUS = Pattern.compile("ICAP/1\\.0 ([0-9]{3})(?: (.*))?");
  private static final Pattern HTTP_STATUS = Pattern.compile("HTTP/[0-9.]+ ([0-9]{3})(?: (.*))?");
  private static final Pattern THREAT = Pattern.compile("(?i)(?:^|;)\\s*Threat=([^;]+)");

  private IcapWire() {}

  /** The peer broke the ICAP framing; the message says how. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /** Threat names from X-Infection-Found, X-Violations-Found and X-Virus-ID. */
  static List<String> threats(Map<String, List<String>> headers) {
    List<String> names = new ArrayList<>();
    for (String v : headers.getOrDefault("x-infection-found", List.of())) {
      Matcher m = THREAT.matcher(v);
      if (m.find()) {
        names.add(m.group(1).strip());
      } else {
        names.add(v.strip());
      }
    }
    for (String v : headers.getOrDefault("x-violations-found", List.of())) {
      // count, then per violation: filename, threat description, problem ID, resolution ID
      String[] fields = v.split("\\s*\n\\s*|\\t");
      List<String> parts = new ArrayList<>();
      for (String f : fields) {
        if (!f.isBlank()) {
          parts.add(f.strip());
        }
      }
      for (int i = 2; i < parts.size(); i += 4) {
        names.add(parts.get(i));
      }
    }
    for (String v : headers.getOrDefault("x-virus-id", List.of())) {
      if (!v.isBlank()) {
        names.add(v.strip());
      }
    }
    names.removeIf(n -> n.isBlank() || n.equals("-"));
    return names;
  }

  /** An ICAP status line and headers, and where the encapsulated parts start. */
  record Response(
      int status, String reason, Map<String, List<String>> headers,
      Map<String, Integer> encapsulated) {
    String header(String name, String fallback) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? fallback : v.get(0);
    }
  }

  /** The encapsulated HTTP response of a 200 answer, its body digested, not kept. */
  record ResponseBody(
      Map<String, List<String>> httpHeaders, int httpStatus, String httpReason, boolean present,
      long bytes, byte[] digest) {}

  static Response readResponse(InputStream in, String method)
      throws IOException, Malformed {
    String statusLine = readLine(in, true);
    Matcher m = STATUS.matcher(statusLine);
    if (!m.matches()) {
      throw new Malformed("answered " + method + " with '" + printable(statusLine)
          + "', not an ICAP/1.0 status line");
    }
    Map<String, List<String>> headers = readHeaders(in);
    Map<String, Integer> encapsulated = new LinkedHashMap<>();
    List<String> enc = headers.get("encapsulated");
    if (enc != null && !enc.isEmpty()) {
      int previous = -1;
      for (String part : enc.get(0).split(",")) {
        String[] kv = part.strip().split("=", 2);
        int offset;
        try {
          offset = kv.length == 2 ? Integer.parseInt(kv[1].strip()) : -1;
        } catch (NumberFormatException e) {
          offset = -1;
        }
        // Offsets ascend from 0 (RFC 3507 4.4.1) and stay within the header limit.
        if (offset < 0 || offset < previous || offset > MAX_HEAD) {
          throw new Malformed("sent a bad Encapsulated header: " + printable(enc.get(0)));
        }
        encapsulated.put(kv[0].strip().toLowerCase(Locale.ROOT), offset);
        previous = offset;
      }
    }
    return new Response(Integer.parseInt(m.group(1)), m.group(2) == null ? "" : m.group(2),
        headers, encapsulated);
  }

  static ResponseBody readBody(InputStream in, Response r, long maxBody)
      throws IOException, Malformed {
    if (r.status != 200) {
      return new ResponseBody(null, 200, "", false, 0, new byte[0]);
    }
    if (!r.encapsulated.containsKey("res-hdr") && !r.encapsulated.containsKey("res-body")
        && !r.encapsulated.containsKey("null-body")) {
      throw new Malformed("answered RESPMOD 200 without an encapsulated response (Encapsulated: "
          + r.header("Encapsulated", "missing") + ")");
    }
    Integer bodyAt = r.encapsulated.containsKey("res-body")
        ? r.encapsulated.get("res-body") : r.encapsulated.get("null-body");
    if (bodyAt == null) {
      throw new Malformed("sent an Encapsulated header with no body part");
    }
    byte[] heads = in.readNBytes(bodyAt);
    if (heads.length != bodyAt) {
      throw new EOFException("connection closed inside the encapsulated headers");
    }
    Map<String, List<String>> httpHeaders = null;
    int httpStatus = 200;
    String httpReason = "OK";
    Integer resHdr = r.encapsulated.get("res-hdr");
    if (resHdr != null) {
      InputStream h = new ByteArrayInputStream(heads, resHdr, bodyAt - resHdr);
      String statusLine = readLine(h, false);
      Matcher m = HTTP_STATUS.matcher(statusLine);
      if (!m.matches()) {
        throw new Malformed("encapsulated an HTTP response NEGuard cannot read: '"
            + printable(statusLine) + "'");
      }
      httpStatus = Integer.parseInt(m.group(1));
      httpReason = m.group(2) == null ? "" : m.group(2);
      httpHeaders = readHeaders(h);
    }
    if (!r.encapsulated.containsKey("res-body")) {
      return new ResponseBody(httpHeaders, httpStatus, httpReason, false, 0, new byte[0]);
    }
    MessageDigest digest = Sha256.newDigest();
    long bytes = readChunked(in, digest, maxBody);
    return new ResponseBody(httpHeaders, httpStatus, httpReason, true, bytes, digest.digest());
  }

  /** Reads a chunked body into {@code digest}; returns its length. */
  static long readChunked(InputStream in, MessageDigest digest, long max)
      throws IOException, Malformed {
    long total = 0;
    byte[] buffer = new byte[64 << 10];
    while (true) {
      String line = readLine(in, false);
      int semi = line.indexOf(';');
      String hex = (semi >= 0 ? line.substring(0, semi) : line).strip();
      long size;
      try {
        size = Long.parseLong(hex, 16);
      } catch (NumberFormatException e) {
        throw new Malformed("sent a bad chunk size line: '" + printable(line) + "'");
      }
      if (size < 0 || total + size > max) {
        throw new Malformed("sent a body larger than " + max + " bytes");
      }
      if (size == 0) {
        while (!readLine(in, false).isEmpty()) {
          // trailers: ignored
        }
        return total;
      }
      long left = size;
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new EOFException("connection closed inside a chunk");
        }
        digest.update(buffer, 0, n);
        left -= n;
      }
      total += size;
      if (!readLine(in, false).isEmpty()) {
        throw new Malformed("sent a chunk not followed by CRLF");
      }
    }
  }

  static Map<String, List<String>> readHeaders(InputStream in)
      throws IOException, Malformed {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    String last = null;
    int size = 0;
    while (true) {
      String line = readLine(in, false);
      size += line.length() + 2;
      if (size > MAX_HEAD) {
        throw new Malformed("sent headers larger than " + MAX_HEAD + " bytes");
      }
      if (line.isEmpty()) {
        return headers;
      }
      if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && last != null) {
        // A folded continuation line (c-icap folds X-Violations-Found this way).
        List<String> values = headers.get(last);
        int i = values.size() - 1;
        values.set(i, values.get(i) + "\n" + line.strip());
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new Malformed("sent a header line without a name: '" + printable(line) + "'");
      }
      last = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      headers.computeIfAbsent(last, k -> new ArrayList<>()).add(line.substring(colon + 1).strip());
    }
  }

  /** One CRLF- (or LF-) terminated line, at most {@link #MAX_LINE} bytes. */
  static String readLine(InputStream in, boolean first) throws IOException,
      Malformed {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException(first && line.size() == 0
            ? "connection closed without an answer" : "connection closed inside an answer");
      }
      if (c == '\n') {
        byte[] b = line.toByteArray();
        int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        return new String(b, 0, len, StandardCharsets.ISO_8859_1);
      }
      if (line.size() >= MAX_LINE) {
        throw new Malformed("sent a line longer than " + MAX_LINE + " bytes");
      }
      line.write(c);
    }
  }

  static void writeChunk(OutputStream out, byte[] data, int length) throws IOException {
    out.write(ascii(Integer.toHexString(length) + "\r\n"));
    out.write(data, 0, length);
    out.write('\r');
    out.write('\n');
  }

  static Integer integer(Response r, String name) throws Malformed {
    String v = r.header(name, null);
    if (v == null) {
      return null;
    }
    try {
      int i = Integer.parseInt(v.strip());
      if (i < 0) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new Malformed("sent a bad " + name + " header: '" + printable(v) + "'");
    }
  }

  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
