package org.neguard.scan;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.pkg.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * An anti-virus engine behind an ICAP service (RFC 3507), the protocol commercial anti-virus
 * gateways speak. Spec: {@code icap://HOST[:PORT]/SERVICE[?ARGS]} (port 1344 by default; ARGS
 * are passed to the service as they are, for example c-icap's {@code ?allow204=on}).
 *
 * <p>Each call first asks {@code OPTIONS} (methods, ISTag, preview size, {@code Allow: 204}),
 * then, unless {@link Builder#selfTest(boolean) switched off}, sends the EICAR test file and
 * requires a detection: an ICAP service that has lost its engine keeps answering "no
 * modification" (c-icap's virus_scan answers {@code 204} for everything when clamd was down as it
 * started), and only a known-bad probe tells that apart from clean. Every payload file then goes
 * in its own {@code RESPMOD} request, as the body of an encapsulated HTTP response, in chunked
 * encoding, streamed from its source (never held in memory), with the preview the service asked
 * for.
 *
 * <p>What the answers mean:
 *
 * <ul>
 *   <li>{@code 204} after the whole file was sent: clean. {@code 204} right after the preview,
 *       before the rest was sent: not scanned (the service decided on the first bytes only, as
 *       c-icap does for a file type outside its {@code ScanFileTypes}). NEGuard never flags the
 *       preview as the whole file ({@code ieof}), so this holds for small files too.
 *   <li>{@code 200} with {@code X-Infection-Found}, {@code X-Violations-Found} or {@code
 *       X-Virus-ID}: infected with that threat name, except ClamAV's names for content it could
 *       not scan ({@code Heuristics.Limits.Exceeded.*}, {@code Heuristics.Encrypted.*}) and
 *       c-icap's clamd-failure names, which are not scanned.
 *   <li>{@code 200} with a replaced response (a block page, another HTTP status, changed content)
 *       and no threat name: infected, named {@code ICAP-Blocked} or {@code ICAP-Modified}.
 *   <li>{@code 200} giving the content back unchanged although {@code 204} was allowed: not
 *       scanned. c-icap does exactly this for a file above its {@code MaxObjectSize}, which is
 *       why NEGuard sends no {@code Content-Length}: announced, the size lets c-icap answer
 *       {@code 204} to the preview without scanning. When the service does not offer 204, an
 *       unchanged echo is its only way to say clean, and is taken as clean.
 *   <li>Any other status ({@code 404 ICAP Service not found}, {@code 500 Server Error}...) or a
 *       reply that does not parse: {@code ENGINE_ERROR}. Connection refused, reset or timed out:
 *       {@code ENGINE_UNAVAILABLE}.
 * </ul>
 *
 * <p>{@link #describe()} reports the OPTIONS {@code Service} header as the product, the {@code
 * Server} header (or the version in {@code Service}) and the ISTag as the engine version, and no
 * signature database version or date: ICAP has no standard header for them, and c-icap's
 * virus_scan does not expose clamd's (its ISTag is an MD5 over the engines' versions, which
 * changes with them but cannot be read back). The scan policy then decides (docs/SCANNING-ENGINES.md).
 *
 * <p>Immutable and thread-safe; every request opens and closes its own connection, and no
 * temporary file is ever written.
 */
public final class IcapEngine implements ScanEngine {
  /** The ICAP port (RFC 3507). */
  public static final int DEFAULT_PORT = 1344;

  private static final String USER_AGENT = "NEGuard-ICAP-client/1";
  private static final int MAX_HEAD = 64 << 10;
  private static final int MAX_LINE = 8 << 10;
  private static final long EXTRA_BODY = 64L << 20;
  private static final Pattern STATUS = Pattern.compile("ICAP/1\\.0 ([0-9]{3})(?: (.*))?");
  private static final Pattern HTTP_STATUS = Pattern.compile("HTTP/[0-9.]+ ([0-9]{3})(?: (.*))?");
  private static final Pattern THREAT = Pattern.compile("(?i)(?:^|;)\\s*Threat=([^;]+)");
  private static final List<String> UNSCANNABLE_PREFIXES = List.of(
      "Heuristics.Limits.Exceeded", "Heuristics.Encrypted", "Clamd connection failed",
      "Clamd response failed", "Clamd unknown response", "Clamd scan error", "clamd failed");

  private final String host;
  private final int port;
  private final String service;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final boolean selfTest;
  private final int chunkSize;

  private IcapEngine(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.service = b.service;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.selfTest = b.selfTest;
    this.chunkSize = b.chunkSize;
  }

  /**
   * A builder for the service at {@code spec}.
   *
   * @throws IllegalArgumentException when the spec is not {@code icap://HOST[:PORT]/SERVICE}
   */
  public static Builder builder(String spec) {
    return new Builder(spec);
  }

  /** The engine for {@code spec}, with the default settings. */
  public static IcapEngine fromSpec(String spec) {
    return builder(spec).build();
  }

  /** {@code icap://HOST:PORT/SERVICE[?ARGS]}. */
  public String uri() {
    return "icap://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + service;
  }

  @Override
  public EngineInfo describe() throws RefusalException {
    Options options = options();
    if (selfTest) {
      selfTest(options);
    }
    String version = options.server != null ? options.server : productVersion(options.service);
    return new EngineInfo("icap",
        options.service != null ? options.service : "ICAP service " + service,
        (version != null ? version + ", " : "") + "ISTag " + options.istag,
        null, null, uri());
  }

  @Override
  public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
      throws RefusalException {
    Objects.requireNonNull(items, "items");
    Objects.requireNonNull(progress, "progress");
    Options options = options();
    if (selfTest) {
      selfTest(options);
    }
    long total = items.stream().mapToLong(ScanItem::size).sum();
    long done = 0;
    List<FileResult> results = new ArrayList<>(items.size());
    for (ScanItem item : items) {
      results.add(respmod(options, item));
      done += item.size();
      progress.progress(done, total);
    }
    return List.copyOf(results);
  }

  /** What OPTIONS said about the service. */
  record Options(
      Set<String> methods,
      String istag,
      String service,
      String server,
      Integer preview,
      boolean allow204,
      Integer maxConnections) {}

  Options options() throws RefusalException {
    try (Socket socket = connect()) {
      OutputStream out = new BufferedOutputStream(socket.getOutputStream());
      out.write(ascii("OPTIONS " + uri() + " ICAP/1.0\r\n"
          + "Host: " + hostHeader() + "\r\n"
          + "User-Agent: " + USER_AGENT + "\r\n"
          + "Encapsulated: null-body=0\r\n"
          + "Connection: close\r\n\r\n"));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      Response r = readResponse(in, "OPTIONS");
      if (r.status != 200) {
        throw statusError("OPTIONS", r);
      }
      if (r.encapsulated.containsKey("opt-body")) {
        readChunked(in, sha256(), MAX_HEAD); // options body: not needed
      }
      Set<String> methods = new LinkedHashSet<>();
      for (String m : r.header("Methods", "").split(",")) {
        if (!m.isBlank()) {
          methods.add(m.strip().toUpperCase(Locale.ROOT));
        }
      }
      if (!methods.contains("RESPMOD")) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "the ICAP service " + uri() + " does not offer RESPMOD (Methods: "
                + r.header("Methods", "none") + "): point NEGuard at an anti-virus"
                + " RESPMOD service");
      }
      String istag = r.header("ISTag", null);
      if (istag == null || istag.isBlank()) {
        throw new RefusalException(ReasonCode.ENGINE_ERROR,
            "the ICAP service " + uri() + " sent no ISTag in its OPTIONS answer (RFC 3507"
                + " requires one): it is not a conforming ICAP server");
      }
      boolean allow204 = Arrays.stream(r.header("Allow", "").split(","))
          .anyMatch(a -> a.strip().equals("204"));
      return new Options(Set.copyOf(methods), unquote(istag), r.header("Service", null),
          r.header("Server", null), integer(r, "Preview"), allow204,
          integer(r, "Max-Connections"));
    } catch (IOException e) {
      throw unavailable(e);
    }
  }

  private void selfTest(Options options) throws RefusalException {
    byte[] eicar = ascii(DemoClamd.EICAR);
    FileResult r = respmod(options,
        new ScanItem("neguard-self-test/eicar.com", eicar.length,
            () -> new ByteArrayInputStream(eicar)));
    if (r.status() != FileResult.Status.INFECTED) {
      throw new RefusalException(ReasonCode.ENGINE_ERROR,
          "the ICAP service " + uri() + " failed NEGuard's self-test: it answered "
              + (r.status() == FileResult.Status.CLEAN ? "clean"
                  : "not scanned (" + r.detail() + ")")
              + " for the EICAR test file, so it is not scanning (c-icap: no anti-virus engine"
              + " loaded, for example clamd was not running when c-icap started; check its"
              + " server log)");
    }
  }

  /** Sends one file in one RESPMOD request and interprets the answer. */
  private FileResult respmod(Options options, ScanItem item) throws RefusalException {
    Socket socket;
    try {
      socket = connect();
    } catch (IOException e) {
      throw unavailable(e);
    }
    AtomicReference<Thread> writer = new AtomicReference<>();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    try (socket) {
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), chunkSize + 64);
      AtomicLong lastProgress = new AtomicLong(System.nanoTime());
      InputStream in = new BufferedInputStream(new PatientInput(socket.getInputStream(),
          () -> writer.get() != null && writer.get().isAlive(), lastProgress));
      out.write(requestHead(options, item));

      MessageDigest sent = sha256();
      InputStream content;
      try {
        content = item.content().open();
      } catch (IOException e) {
        throw localRead(item, e);
      }
      try (content) {
        long previewBytes = 0;
        if (options.preview != null) {
          byte[] preview = readLocal(item, content, options.preview);
          sent.update(preview);
          previewBytes = preview.length;
          if (preview.length > 0) {
            writeChunk(out, preview, preview.length);
          }
          // Never "0; ieof", even when the file fits in the preview: a service then owes an
          // answer only after it has seen the end of the file, so a 204 to the preview always
          // means "decided without looking at everything" (c-icap's type exemption), never
          // clean. One more round trip per small file is the price.
          out.write(ascii("0\r\n\r\n"));
          out.flush();
          Response r = readResponse(in, "RESPMOD");
          if (r.status != 100) {
            checkStatus(r);
            ResponseBody body = readBody(in, r, item.size());
            return classify(item, options, r, body, false, sent.digest(), previewBytes);
          }
        }
        // The rest goes from a second thread, so that a service answering while it still
        // reads (c-icap streams content it will not scan straight back) cannot deadlock us.
        AtomicLong sentTotal = new AtomicLong(previewBytes);
        Thread w = new Thread(() -> {
          try {
            byte[] buffer = new byte[chunkSize];
            int n;
            while ((n = readLocalRaw(content, buffer)) > 0) {
              sent.update(buffer, 0, n);
              writeChunk(out, buffer, n);
              sentTotal.addAndGet(n);
              lastProgress.set(System.nanoTime());
            }
            out.write(ascii("0\r\n\r\n"));
            out.flush();
            lastProgress.set(System.nanoTime());
          } catch (Throwable t) {
            writerFailure.set(t);
          }
        }, "neguard-icap-writer");
        w.setDaemon(true);
        writer.set(w);
        w.start();
        Response r;
        ResponseBody body;
        try {
          r = readResponse(in, "RESPMOD");
          if (r.status == 100) {
            throw malformed("answered 100 Continue where a final answer was due");
          }
          checkStatus(r);
          body = readBody(in, r, item.size());
        } catch (IOException | RefusalException e) {
          if (writerFailure.get() instanceof LocalReadException local) {
            throw localRead(item, local.getCause());
          }
          throw e;
        }
        // The answer is complete; a writer still busy means the service judged a part only.
        w.join(5_000);
        Throwable failure = writerFailure.get();
        if (failure instanceof LocalReadException local) {
          throw localRead(item, local.getCause());
        }
        boolean fullySent = !w.isAlive() && failure == null;
        if (fullySent && sentTotal.get() != item.size()) {
          throw RefusalException.about(ReasonCode.ENGINE_ERROR, item.path(),
              "payload file " + item.path() + " changed while it was being scanned: "
                  + sentTotal.get() + " bytes read, " + item.size() + " expected; scan again");
        }
        byte[] digest = fullySent ? sent.digest() : new byte[0];
        return classify(item, options, r, body, fullySent, digest, sentTotal.get());
      }
    } catch (IOException e) {
      if (writerFailure.get() instanceof LocalReadException local) {
        throw localRead(item, local.getCause());
      }
      throw unavailable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RefusalException(ReasonCode.ENGINE_ERROR, "interrupted during an ICAP scan", e);
    } finally {
      // The socket is closed by now, which frees a writer blocked on a full send buffer.
      Thread w = writer.get();
      if (w != null) {
        try {
          w.join(10_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private byte[] requestHead(Options options, ScanItem item) {
    byte[] reqHdr = ascii("GET /" + encodePath(item.path()) + " HTTP/1.1\r\n"
        + "Host: neguard-scan.invalid\r\n\r\n");
    // No Content-Length: see the class comment (c-icap's size exemption).
    byte[] resHdr = ascii("HTTP/1.1 200 OK\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n");
    StringBuilder head = new StringBuilder()
        .append("RESPMOD ").append(uri()).append(" ICAP/1.0\r\n")
        .append("Host: ").append(hostHeader()).append("\r\n")
        .append("User-Agent: ").append(USER_AGENT).append("\r\n");
    if (options.allow204) {
      head.append("Allow: 204\r\n");
    }
    if (options.preview != null) {
      head.append("Preview: ").append(options.preview).append("\r\n");
    }
    head.append("Connection: close\r\n")
        .append("Encapsulated: req-hdr=0, res-hdr=").append(reqHdr.length)
        .append(", res-body=").append(reqHdr.length + resHdr.length).append("\r\n\r\n");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(ascii(head.toString()));
    b.writeBytes(reqHdr);
    b.writeBytes(resHdr);
    return b.toByteArray();
  }

  private void checkStatus(Response r) throws RefusalException {
    if (r.status != 200 && r.status != 204) {
      throw statusError("RESPMOD", r);
    }
  }

  private FileResult classify(ScanItem item, Options options, Response r, ResponseBody body,
      boolean fullySent, byte[] sentDigest, long sentBytes) throws RefusalException {
    String path = item.path();
    if (r.status == 204) {
      if (!fullySent) {
        return FileResult.notScanned(path, "the ICAP service answered 204 (unmodified) after"
            + " the " + options.preview + "-byte preview, without reading the rest of the file:"
            + " it did not scan it in full (c-icap: file type outside virus_scan.ScanFileTypes;"
            + " use ?force=on)");
      }
      return FileResult.clean(path);
    }
    if (r.status != 200) {
      throw statusError("RESPMOD", r);
    }
    List<String> threats = threats(r.headers);
    if (body.httpHeaders != null) {
      threats.addAll(threats(body.httpHeaders));
    }
    if (!threats.isEmpty()) {
      String names = String.join(", ", new LinkedHashSet<>(threats));
      if (threats.stream().allMatch(IcapEngine::unscannable)) {
        return FileResult.notScanned(path, "the engine behind the ICAP service could not scan"
            + " it: " + names + " (a size or recursion limit, an encrypted archive, or an"
            + " engine failure)");
      }
      return FileResult.infected(path, names, "reported by the ICAP service " + uri());
    }
    if (body.httpStatus != 200) {
      return FileResult.infected(path, "ICAP-Blocked",
          "the ICAP service replaced the file with an HTTP " + body.httpStatus + " "
              + body.httpReason + " response and named no threat");
    }
    boolean unchanged = body.present
        ? body.bytes == sentBytes && MessageDigest.isEqual(body.digest, sentDigest)
        : sentBytes == 0;
    if (unchanged && fullySent) {
      if (options.allow204 && sentBytes > 0) {
        // (An empty file holds nothing to scan; c-icap takes no decision on an empty preview
        // and echoes it.)
        return FileResult.notScanned(path, "the ICAP service gave the content back unchanged"
            + " instead of answering 204: it passed it through without a verdict (c-icap:"
            + " larger than virus_scan.MaxObjectSize, or SendPercentData above 0)");
      }
      return FileResult.clean(path);
    }
    if (unchanged) {
      return FileResult.notScanned(path, "the ICAP service answered before it had read the"
          + " whole file");
    }
    return FileResult.infected(path, "ICAP-Modified",
        "the ICAP service changed the content (" + body.bytes + " bytes back for " + sentBytes
            + " sent) and named no threat");
  }

  private static boolean unscannable(String threat) {
    return UNSCANNABLE_PREFIXES.stream().anyMatch(threat::startsWith);
  }

  /** Threat names from X-Infection-Found, X-Violations-Found and X-Virus-ID. */
  private static List<String> threats(Map<String, List<String>> headers) {
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
  private record Response(
      int status, String reason, Map<String, List<String>> headers,
      Map<String, Integer> encapsulated) {
    String header(String name, String fallback) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null || v.isEmpty() ? fallback : v.get(0);
    }
  }

  /** The encapsulated HTTP response of a 200 answer, its body digested, not kept. */
  private record ResponseBody(
      Map<String, List<String>> httpHeaders, int httpStatus, String httpReason, boolean present,
      long bytes, byte[] digest) {}

  private Response readResponse(InputStream in, String method)
      throws IOException, RefusalException {
    String statusLine = readLine(in, true);
    Matcher m = STATUS.matcher(statusLine);
    if (!m.matches()) {
      throw malformed("answered " + method + " with '" + printable(statusLine)
          + "', not an ICAP/1.0 status line");
    }
    Map<String, List<String>> headers = readHeaders(in);
    Map<String, Integer> encapsulated = new LinkedHashMap<>();
    List<String> enc = headers.get("encapsulated");
    if (enc != null && !enc.isEmpty()) {
      int previous = -1;
      for (String part : enc.get(0).split(",")) {
        String[] kv = part.strip().split("=", 2);
        try {
          int offset = Integer.parseInt(kv[1].strip());
          if (kv.length != 2 || offset < previous || offset > MAX_HEAD) {
            throw malformed("sent a bad Encapsulated header: " + printable(enc.get(0)));
          }
          encapsulated.put(kv[0].strip().toLowerCase(Locale.ROOT), offset);
          previous = offset;
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
          throw malformed("sent a bad Encapsulated header: " + printable(enc.get(0)));
        }
      }
    }
    return new Response(Integer.parseInt(m.group(1)), m.group(2) == null ? "" : m.group(2),
        headers, encapsulated);
  }

  private ResponseBody readBody(InputStream in, Response r, long sentSize)
      throws IOException, RefusalException {
    if (r.status != 200) {
      return new ResponseBody(null, 200, "", false, 0, new byte[0]);
    }
    if (!r.encapsulated.containsKey("res-hdr") && !r.encapsulated.containsKey("res-body")
        && !r.encapsulated.containsKey("null-body")) {
      throw malformed("answered RESPMOD 200 without an encapsulated response (Encapsulated: "
          + r.header("Encapsulated", "missing") + ")");
    }
    Integer bodyAt = r.encapsulated.containsKey("res-body")
        ? r.encapsulated.get("res-body") : r.encapsulated.get("null-body");
    if (bodyAt == null) {
      throw malformed("sent an Encapsulated header with no body part");
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
        throw malformed("encapsulated an HTTP response NEGuard cannot read: '"
            + printable(statusLine) + "'");
      }
      httpStatus = Integer.parseInt(m.group(1));
      httpReason = m.group(2) == null ? "" : m.group(2);
      httpHeaders = readHeaders(h);
    }
    if (!r.encapsulated.containsKey("res-body")) {
      return new ResponseBody(httpHeaders, httpStatus, httpReason, false, 0, new byte[0]);
    }
    MessageDigest digest = sha256();
    long bytes = readChunked(in, digest, sentSize + EXTRA_BODY);
    return new ResponseBody(httpHeaders, httpStatus, httpReason, true, bytes, digest.digest());
  }

  /** Reads a chunked body into {@code digest}; returns its length. */
  private long readChunked(InputStream in, MessageDigest digest, long max)
      throws IOException, RefusalException {
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
        throw malformed("sent a bad chunk size line: '" + printable(line) + "'");
      }
      if (size < 0 || total + size > max) {
        throw malformed("sent a body larger than " + max + " bytes");
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
        throw malformed("sent a chunk not followed by CRLF");
      }
    }
  }

  private static Map<String, List<String>> readHeaders(InputStream in)
      throws IOException, RefusalException {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    String last = null;
    int size = 0;
    while (true) {
      String line = readLine(in, false);
      size += line.length() + 2;
      if (size > MAX_HEAD) {
        throw malformedStatic("sent headers larger than " + MAX_HEAD + " bytes");
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
        throw malformedStatic("sent a header line without a name: '" + printable(line) + "'");
      }
      last = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      headers.computeIfAbsent(last, k -> new ArrayList<>()).add(line.substring(colon + 1).strip());
    }
  }

  /** One CRLF- (or LF-) terminated line, at most {@link #MAX_LINE} bytes. */
  private static String readLine(InputStream in, boolean first) throws IOException,
      RefusalException {
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
        throw malformedStatic("sent a line longer than " + MAX_LINE + " bytes");
      }
      line.write(c);
    }
  }

  private static void writeChunk(OutputStream out, byte[] data, int length) throws IOException {
    out.write(ascii(Integer.toHexString(length) + "\r\n"));
    out.write(data, 0, length);
    out.write('\r');
    out.write('\n');
  }

  private static byte[] readLocal(ScanItem item, InputStream content, int n)
      throws RefusalException {
    try {
      return content.readNBytes(n);
    } catch (IOException e) {
      throw localRead(item, e);
    }
  }

  private static int readLocalRaw(InputStream content, byte[] buffer) throws LocalReadException {
    try {
      return content.read(buffer);
    } catch (IOException e) {
      throw new LocalReadException(e);
    }
  }

  /** A failure reading the payload file, not the network: never "engine unavailable". */
  private static final class LocalReadException extends IOException {
    private static final long serialVersionUID = 1L;

    LocalReadException(IOException cause) {
      super(cause);
    }
  }

  private static RefusalException localRead(ScanItem item, Throwable e) {
    RefusalException r = RefusalException.about(ReasonCode.ENGINE_ERROR, item.path(),
        "cannot read payload file " + item.path() + " for the ICAP scan: " + e.getMessage());
    r.initCause(e);
    return r;
  }

  /**
   * The socket's input, patient while the writer still makes progress: the service owes no
   * answer before it has the whole file, so the read timeout counts from the writer's last
   * progress, not from the start of a long upload.
   */
  private final class PatientInput extends InputStream {
    private final InputStream in;
    private final java.util.function.BooleanSupplier writing;
    private final AtomicLong lastProgress;

    PatientInput(InputStream in, java.util.function.BooleanSupplier writing,
        AtomicLong lastProgress) {
      this.in = in;
      this.writing = writing;
      this.lastProgress = lastProgress;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        try {
          return in.read(b, off, len);
        } catch (SocketTimeoutException e) {
          long idle = System.nanoTime() - lastProgress.get();
          if (!writing.getAsBoolean() || idle >= readTimeout.toNanos()) {
            throw e;
          }
        }
      }
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
      socket.setTcpNoDelay(true);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private RefusalException unavailable(IOException e) {
    String why;
    if (e instanceof ConnectException) {
      why = "refused the connection (is the ICAP server running, on this port?)";
    } else if (e instanceof SocketTimeoutException) {
      why = "did not answer in time (connect " + connectTimeout.toSeconds() + " s, read "
          + readTimeout.toSeconds() + " s)";
    } else if (e instanceof UnknownHostException) {
      why = "cannot be resolved (unknown host " + host + ")";
    } else if (e instanceof EOFException) {
      why = "closed the connection before it answered in full (" + e.getMessage() + ")";
    } else {
      why = "failed on the network: " + e.getMessage();
    }
    return new RefusalException(ReasonCode.ENGINE_UNAVAILABLE,
        "the ICAP service " + uri() + " " + why, e);
  }

  private RefusalException statusError(String method, Response r) {
    String hint = switch (r.status) {
      case 404 -> ": the service name is wrong (check the path of the icap:// spec)";
      case 405 -> ": the service does not accept " + method;
      case 500, 502, 503 -> ": the service failed (its engine may be down; see its log)";
      default -> "";
    };
    return new RefusalException(ReasonCode.ENGINE_ERROR,
        "the ICAP service " + uri() + " answered " + method + " with " + r.status + " "
            + printable(r.reason) + hint);
  }

  private RefusalException malformed(String what) {
    return new RefusalException(ReasonCode.ENGINE_ERROR,
        "the ICAP service " + uri() + " " + what);
  }

  private static RefusalException malformedStatic(String what) {
    return new RefusalException(ReasonCode.ENGINE_ERROR, "the ICAP service " + what);
  }

  private static Integer integer(Response r, String name) throws RefusalException {
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
      throw malformedStatic("sent a bad " + name + " header: '" + printable(v) + "'");
    }
  }

  private static String productVersion(String serviceHeader) {
    if (serviceHeader == null) {
      return null;
    }
    for (String token : serviceHeader.split("\\s+")) {
      if (token.matches("[A-Za-z][A-Za-z0-9._-]*/[0-9][A-Za-z0-9._-]*")) {
        return token;
      }
    }
    return null;
  }

  private static String unquote(String s) {
    String t = s.strip();
    return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")
        ? t.substring(1, t.length() - 1) : t;
  }

  private String hostHeader() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /** Percent-encodes a package path for the request line; '/' stays. */
  private static String encodePath(String path) {
    StringBuilder b = new StringBuilder();
    for (byte x : path.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  @Override
  public String toString() {
    return "IcapEngine[" + uri() + "]";
  }

  /** Settings of an ICAP engine. */
  public static final class Builder {
    private final String host;
    private final int port;
    private final String service;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(120);
    private boolean selfTest = true;
    private int chunkSize = 64 << 10;

    private Builder(String spec) {
      Objects.requireNonNull(spec, "spec");
      URI uri;
      try {
        uri = new URI(spec);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("not an ICAP engine spec"
            + " (icap://HOST:PORT/SERVICE): " + spec + ": " + e.getMessage(), e);
      }
      if (!"icap".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
          || uri.getRawPath() == null || uri.getRawPath().length() < 2
          || uri.getUserInfo() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "not an ICAP engine spec (icap://HOST:PORT/SERVICE): " + spec);
      }
      String h = uri.getHost();
      this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
      this.port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
      this.service = uri.getRawPath()
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * How long the service may stay silent once NEGuard has stopped sending; default 120 s
     * (a large archive can take the engine a while).
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive("readTimeout", timeout);
      return this;
    }

    /**
     * Whether each call first checks that the service detects the EICAR test file (default
     * on). Switch off only for a gateway that must never see EICAR, and know that a service
     * without a working engine then looks clean.
     */
    public Builder selfTest(boolean on) {
      this.selfTest = on;
      return this;
    }

    public Builder chunkSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("chunkSize < 1: " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    public IcapEngine build() {
      return new IcapEngine(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " not in (0, 24 days]: " + d);
      }
      return d;
    }
  }
}
