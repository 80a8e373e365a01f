package org.neguard.av;

import org.neguard.io.Streams;
import org.neguard.measure.Sha256;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.neguard.progress.ProgressListener;
import org.neguard.av.IcapWire.Malformed;
import org.neguard.av.IcapWire.Response;
import org.neguard.av.IcapWire.ResponseBody;
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
 *       {@code ENGINE_UNAVAILABLE}. A payload file that cannot be read: {@code IO_ERROR} ({@link
 *       ScanItem#unreadable}), as in every engine.
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
  private static final long EXTRA_BODY = 64L << 20;
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
      out.write(IcapWire.ascii("OPTIONS " + uri() + " ICAP/1.0\r\n"
          + "Host: " + hostHeader() + "\r\n"
          + "User-Agent: " + USER_AGENT + "\r\n"
          + "Encapsulated: null-body=0\r\n"
          + "Connection: close\r\n\r\n"));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      Response r = IcapWire.readResponse(in, "OPTIONS");
      if (r.status() != 200) {
        throw statusError("OPTIONS", r);
      }
      if (r.encapsulated().containsKey("opt-body")) {
        IcapWire.readChunked(in, Sha256.newDigest(), IcapWire.MAX_HEAD); // options body: not needed
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
          r.header("Server", null), IcapWire.integer(r, "Preview"), allow204,
          IcapWire.integer(r, "Max-Connections"));
    } catch (IOException e) {
      throw unavailable(e);
    } catch (Malformed e) {
      throw malformed(e.getMessage());
    }
  }

  /** The EICAR anti-virus test file (68 bytes), as published by EICAR: every engine flags it. */
  private static final String EICAR =
      "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

  private void selfTest(Options options) throws RefusalException {
    byte[] eicar = IcapWire.ascii(EICAR);
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

      MessageDigest sent = Sha256.newDigest();
      try (InputStream content = item.openForScan()) {
        long previewBytes = 0;
        if (options.preview != null) {
          byte[] preview = content.readNBytes(options.preview);
          sent.update(preview);
          previewBytes = preview.length;
          if (preview.length > 0) {
            IcapWire.writeChunk(out, preview, preview.length);
          }
          // Never "0; ieof", even when the file fits in the preview: a service then owes an
          // answer only after it has seen the end of the file, so a 204 to the preview always
          // means "decided without looking at everything" (c-icap's type exemption), never
          // clean. One more round trip per small file is the price.
          out.write(IcapWire.ascii("0\r\n\r\n"));
          out.flush();
          Response r = IcapWire.readResponse(in, "RESPMOD");
          if (r.status() != 100) {
            checkStatus(r);
            ResponseBody body = IcapWire.readBody(in, r, item.size() + EXTRA_BODY);
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
            while ((n = content.read(buffer)) > 0) {
              sent.update(buffer, 0, n);
              IcapWire.writeChunk(out, buffer, n);
              sentTotal.addAndGet(n);
              lastProgress.set(System.nanoTime());
            }
            out.write(IcapWire.ascii("0\r\n\r\n"));
            out.flush();
            lastProgress.set(System.nanoTime());
          } catch (Throwable t) {
            writerFailure.set(t);
            if (t instanceof ScanItem.ReadFailure) {
              // The service still waits for the rest of the file: hang up, so that the answer
              // being read fails now instead of after the read timeout.
              try {
                socket.close();
              } catch (IOException e) {
                // Closed or not, the answer's read ends: by this close or by the read timeout.
              }
            }
          }
        }, "neguard-icap-writer");
        w.setDaemon(true);
        writer.set(w);
        w.start();
        Response r;
        ResponseBody body;
        try {
          r = IcapWire.readResponse(in, "RESPMOD");
          if (r.status() == 100) {
            throw malformed("answered 100 Continue where a final answer was due");
          }
          checkStatus(r);
          body = IcapWire.readBody(in, r, item.size() + EXTRA_BODY);
        } catch (IOException | RefusalException | Malformed e) {
          if (writerFailure.get() instanceof ScanItem.ReadFailure local) {
            throw local.refusal();
          }
          throw e;
        }
        // The answer is complete; a writer still busy means the service judged a part only.
        w.join(5_000);
        Throwable failure = writerFailure.get();
        if (failure instanceof ScanItem.ReadFailure local) {
          throw local.refusal();
        }
        boolean fullySent = !w.isAlive() && failure == null;
        if (fullySent && sentTotal.get() != item.size()) {
          throw item.changed(sentTotal.get());
        }
        byte[] digest = fullySent ? sent.digest() : new byte[0];
        return classify(item, options, r, body, fullySent, digest, sentTotal.get());
      }
    } catch (ScanItem.ReadFailure e) {
      throw e.refusal();
    } catch (IOException e) {
      if (writerFailure.get() instanceof ScanItem.ReadFailure local) {
        throw local.refusal();
      }
      throw unavailable(e);
    } catch (Malformed e) {
      throw malformed(e.getMessage());
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
    byte[] reqHdr = IcapWire.ascii("GET /" + encodePath(item.path()) + " HTTP/1.1\r\n"
        + "Host: neguard-scan.invalid\r\n\r\n");
    // No Content-Length: see the class comment (c-icap's size exemption).
    byte[] resHdr = IcapWire.ascii("HTTP/1.1 200 OK\r\n"
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
    b.writeBytes(IcapWire.ascii(head.toString()));
    b.writeBytes(reqHdr);
    b.writeBytes(resHdr);
    return b.toByteArray();
  }

  private void checkStatus(Response r) throws RefusalException {
    if (r.status() != 200 && r.status() != 204) {
      throw statusError("RESPMOD", r);
    }
  }

  private FileResult classify(ScanItem item, Options options, Response r, ResponseBody body,
      boolean fullySent, byte[] sentDigest, long sentBytes) throws RefusalException {
    String path = item.path();
    if (r.status() == 204) {
      if (!fullySent) {
        return FileResult.notScanned(path, "the ICAP service answered 204 (unmodified) after"
            + " the " + options.preview + "-byte preview, without reading the rest of the file:"
            + " it did not scan it in full (c-icap: file type outside virus_scan.ScanFileTypes;"
            + " use ?force=on)");
      }
      return FileResult.clean(path);
    }
    if (r.status() != 200) {
      throw statusError("RESPMOD", r);
    }
    List<String> threats = IcapWire.threats(r.headers());
    if (body.httpHeaders() != null) {
      threats.addAll(IcapWire.threats(body.httpHeaders()));
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
    if (body.httpStatus() != 200) {
      return FileResult.infected(path, "ICAP-Blocked",
          "the ICAP service replaced the file with an HTTP " + body.httpStatus() + " "
              + body.httpReason() + " response and named no threat");
    }
    boolean unchanged = body.present()
        ? body.bytes() == sentBytes && MessageDigest.isEqual(body.digest(), sentDigest)
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
        "the ICAP service changed the content (" + body.bytes() + " bytes back for " + sentBytes
            + " sent) and named no threat");
  }

  private static boolean unscannable(String threat) {
    return UNSCANNABLE_PREFIXES.stream().anyMatch(threat::startsWith);
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
      return Streams.readOne(this);
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
    String hint = switch (r.status()) {
      case 404 -> ": the service name is wrong (check the path of the icap:// spec)";
      case 405 -> ": the service does not accept " + method;
      case 500, 502, 503 -> ": the service failed (its engine may be down; see its log)";
      default -> "";
    };
    return new RefusalException(ReasonCode.ENGINE_ERROR,
        "the ICAP service " + uri() + " answered " + method + " with " + r.status() + " "
            + IcapWire.printable(r.reason()) + hint);
  }

  private RefusalException malformed(String what) {
    return new RefusalException(ReasonCode.ENGINE_ERROR,
        "the ICAP service " + uri() + " " + what);
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
