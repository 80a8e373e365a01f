package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Bundles;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The Packages page's upload form for publishers (issue 18, SRC-2): the same verified ingest as
 * {@code POST /api/packages}, its refusals shown with their reason code, nothing left behind by
 * a refusal, a body too large refused before it is read, the role checked, and the CSRF token
 * (SRC-1) taken from the form's first field only, never its URL, before a byte of the file is
 * read.
 */
@DisplayName("SRC-1 SRC-2 console package upload")
class ConsolePackageUploadTest {
  /** Small, so that "too large" is quick to send; the test bundles are some 20 KB. */
  static final long MAX = 256 * 1024;
  /** The upload form's opening tag and the first input inside it. */
  private static final Pattern FORM = Pattern.compile(
      "<form\\b([^>]*\\bid=\"upload-form\"[^>]*)>\\s*<input\\b([^>]*)>", Pattern.DOTALL);
  static TestServer s;
  static Path work;
  /**
   * What the server (in this JVM) logs while the class runs: a refused upload is answered, never
   * an ERROR (an error page rendered behind the refusal's page, a stack trace).
   */
  static final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>
      LOG = new ch.qos.logback.core.read.ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start(null, b -> b.maxUploadBytes(MAX));
    // After the start: the server's logging set-up resets the appenders.
    LOG.start();
    root().addAppender(LOG);
    for (Role r : Role.values()) {
      s.token(r);
    }
    work = Files.createDirectories(s.dir.resolve("work"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      root().detachAppender(LOG);
    }
  }

  private static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** No ERROR logged during the test (one logged after a test ended fails the next). */
  @AfterEach
  void noErrorLogged() {
    List<String> errors;
    synchronized (LOG) {
      List<ch.qos.logback.classic.spi.ILoggingEvent> events = List.copyOf(LOG.list);
      LOG.list.clear();
      errors = events.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR))
          .map(e -> e.getLoggerName() + ": " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? "" : " (" + e.getThrowableProxy().getClassName()
                  + ": " + e.getThrowableProxy().getMessage() + ")"))
          .toList();
    }
    assertThat(errors).as("ERROR lines in the server's log").isEmpty();
  }

  static ConsoleSession session(Role r) {
    ConsoleSession c = new ConsoleSession(s.server.url());
    HttpResponse<String> login = c.login(ConsoleSecurityTest.user(r),
        ConsoleSecurityTest.password(r));
    assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
    return c;
  }

  /** The upload form as the packages page renders it: action, first field's name and value. */
  record UploadForm(String action, String firstField, String firstValue) {}

  static UploadForm uploadForm(ConsoleSession c) {
    String page = c.get("/console/packages").body();
    Matcher m = FORM.matcher(page);
    assertThat(m.find()).as(page).isTrue();
    return new UploadForm(attribute(m.group(1), "action"), attribute(m.group(2), "name"),
        attribute(m.group(2), "value"));
  }

  private static String attribute(String tag, String name) {
    Matcher m = Pattern.compile("\\b" + name + "=\"([^\"]*)\"").matcher(tag);
    return m.find() ? m.group(1).replace("&amp;", "&") : null;
  }

  /** The CSRF token the packages page gives {@code c}'s upload form (its first field). */
  static String token(ConsoleSession c) {
    UploadForm f = uploadForm(c);
    assertThat(f.firstField()).isEqualTo("_csrf");
    return f.firstValue();
  }

  /** One part of a multipart/form-data body: a small field, or the file field 'bundle'. */
  record Part(String name, byte[] value, boolean file) {
    static Part field(String name, String value) {
      return new Part(name, value.getBytes(StandardCharsets.UTF_8), false);
    }

    static Part bundle(byte[] file) {
      return new Part("bundle", file, true);
    }

    /** The form's CSRF field with {@code c}'s token, as a browser sends it: first. */
    static Part token(ConsoleSession c) {
      return field("_csrf", ConsolePackageUploadTest.token(c));
    }
  }

  /** A multipart/form-data body with {@link #BOUNDARY}: {@code parts} in this order. */
  static byte[] multipart(Part... parts) {
    return multipart(List.of(parts));
  }

  static byte[] multipart(List<Part> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      out.writeBytes(partHead(p.name(), p.file()).getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(p.value());
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** A part's boundary line and headers, up to its first byte. */
  static String partHead(String name, boolean file) {
    return "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
        + (file ? "; filename=\"b.ngp\"\r\nContent-Type: application/octet-stream" : "")
        + "\r\n\r\n";
  }

  /** A form body of the token, {@code fields - 1} more small {@code _csrf} fields, the file. */
  static byte[] fieldsThenFile(ConsoleSession c, int fields, Path bundle) throws IOException {
    List<Part> parts = new java.util.ArrayList<>();
    parts.add(Part.token(c));
    for (int i = 1; i < fields; i++) {
      parts.add(Part.field("_csrf", "x"));
    }
    parts.add(Part.bundle(Files.readAllBytes(bundle)));
    return multipart(parts);
  }

  static final String BOUNDARY = "----neguardTestBoundary7MA4YWxkTrZu0gW";

  /** Uploads {@code file} as the form does: its token first, then the file. */
  static HttpResponse<String> upload(ConsoleSession c, byte[] file) {
    return post(c, PackageUploadForm.PATH, multipart(Part.token(c), Part.bundle(file)));
  }

  /** Posts {@code body}, a multipart/form-data body with {@link #BOUNDARY}, to {@code path}. */
  static HttpResponse<String> post(ConsoleSession c, String path, byte[] body) {
    return c.postMultipart(path, BOUNDARY, body);
  }

  static long lastAudit() {
    return ConsoleSecurityTest.lastAudit(s);
  }

  @Test
  @DisplayName("SRC-2 a publisher uploads a good bundle on the packages page: listed, recorded")
  void uploadForm_goodBundle_appearsInList() throws Exception {
    Path b = Bundles.signed(work, "console-up", "1.0.0", 41, 20_000,
        s.pki.codeSigner().material());
    ConsoleSession pub = session(Role.PUBLISHER);
    long before = lastAudit();
    HttpResponse<String> r = upload(pub, Files.readAllBytes(b));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).isEqualTo("/console/packages");
    String page = pub.get("/console/packages").body();
    assertThat(page).contains("console-up 1.0.0 stored")
        .contains("href=\"/console/packages/console-up/1.0.0\"");
    assertThat(s.http.get("/api/packages/console-up/1.0.0", s.adminToken()).status())
        .isEqualTo(200);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("u-publisher").contains("accepted: signed by");
    // The same file again: "already stored", as the API answers it.
    HttpResponse<String> again = upload(pub, Files.readAllBytes(b));
    assertThat(again.statusCode()).isEqualTo(302);
    assertThat(pub.get("/console/packages").body()).contains("was stored already");
  }

  @Test
  @DisplayName("SRC-2 a tampered bundle: refused on the page with DIGEST_MISMATCH, nothing kept")
  void uploadForm_tamperedBundle_refusedWithReasonCode_leavesNothing() throws Exception {
    Path good = Bundles.signed(work, "console-tamper", "1.0.0", 42, 20_000,
        s.pki.codeSigner().material());
    byte[] bad = Files.readAllBytes(Bundles.tampered(good, 42, 20_000));
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    long before = lastAudit();
    HttpResponse<String> r = upload(pub, bad);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("id=\"upload-refusal\"").contains("DIGEST_MISMATCH");
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-tamper/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("DIGEST_MISMATCH").contains("failure");
  }

  @Test
  @DisplayName("SRC-2 a form that is not a bundle's: refused MALFORMED, recorded, nothing kept")
  void uploadForm_noFilePart_refusedMalformed() {
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    long before = lastAudit();
    HttpResponse<String> r = post(pub, PackageUploadForm.PATH,
        multipart(Part.token(pub), Part.field("bundle", "not a file")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("MALFORMED").contains("unexpected field before its file");
    HttpResponse<String> none = post(pub, PackageUploadForm.PATH, multipart(Part.token(pub)));
    assertThat(none.statusCode()).as(none.body()).isEqualTo(422);
    assertThat(none.body()).contains("MALFORMED").contains("has no file");
    HttpResponse<String> urlencoded = pub.post("/console/packages", PackageUploadForm.PATH,
        java.util.Map.of("bundle", "not a file"));
    assertThat(urlencoded.statusCode()).as(urlencoded.body()).isEqualTo(422);
    assertThat(urlencoded.body()).contains("MALFORMED").contains("multipart/form-data");
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("MALFORMED").contains("failure");
  }

  @Test
  @DisplayName("SRC-2 HRD-6 a form of a thousand tiny fields before a good bundle: 413 SIZE_LIMIT"
      + " after the first fields too many, recorded, nothing stored")
  void uploadForm_manyParts_refusedSizeLimitNothingStored() throws Exception {
    Path b = Bundles.signed(work, "console-parts", "1.0.0", 47, 20_000,
        s.pki.codeSigner().material());
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    long before = lastAudit();
    // Well inside the size limit (some 60 KB of fields): only the count refuses it.
    HttpResponse<String> r = post(pub, PackageUploadForm.PATH, fieldsThenFile(pub, 1000, b));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
    assertThat(r.body()).contains("id=\"upload-refusal\"").contains("SIZE_LIMIT")
        .contains("more than " + PackageUploadForm.MAX_FIELDS + " fields before its file");
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-parts/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("SIZE_LIMIT").contains("failure");
    // The form's own field repeated up to the bound is still taken.
    HttpResponse<String> ok = post(pub, PackageUploadForm.PATH,
        fieldsThenFile(pub, PackageUploadForm.MAX_FIELDS, b));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(302);
  }

  @Test
  @DisplayName("SRC-2 a declared length past the limit: 413 SIZE_LIMIT before the body is read")
  void uploadForm_declaredOversize_refusedWithoutReadingBody() throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    String action = PackageUploadForm.PATH;
    List<String> files = s.storedFiles();
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      // Were the body read (or spooled by a multipart parser) before the check, no answer
      // would come: the client sends its headers and 10 bytes of a declared gigabyte.
      OutputStream out = startPost(socket, action, pub, "Content-Length: " + (1L << 30));
      out.write("--x\r\nabcd".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = readAnswer(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 413").contains("SIZE_LIMIT");
    }
    assertThat(s.storedFiles()).isEqualTo(files);
  }

  @Test
  @DisplayName("SRC-2 HRD-6 a chunked body far past the limit: 413 SIZE_LIMIT while streaming, the"
      + " rest dropped only up to the drain bound, then the connection closed; nothing kept")
  void uploadForm_chunkedFarOversize_refusedThenClosedAfterBound() throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    long before = lastAudit();
    Flood f = flood(pub, "Transfer-Encoding: chunked", 1L << 30);
    assertThat(f.answer()).startsWith("HTTP/1.1 413").contains("SIZE_LIMIT");
    // Read up to the limit, then dropped up to the bound (and Tomcat's last swallow, and the
    // sockets' buffers), not the client's gigabyte: the server closed the connection.
    assertThat(f.closed()).as("closed by the server after %d bytes", f.sent()).isTrue();
    assertThat(f.sent()).isLessThan(MAX + RefusedUploadDrain.DRAIN_MAX + (16L << 20));
    refusedSizeLimitNothingStored(files, before);
  }

  @Test
  @DisplayName("SRC-2 HRD-6 a declared length past the drain bound: 413 SIZE_LIMIT at once, none"
      + " of it dropped on purpose (its end would never be reached), the connection closed")
  void uploadForm_declaredFarOversize_notDrainedClosed() throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    long length = MAX + PackageUploadForm.ENVELOPE + RefusedUploadDrain.DRAIN_MAX + (1L << 20);
    Flood f = flood(pub, "Content-Length: " + length, length);
    assertThat(f.answer()).startsWith("HTTP/1.1 413").contains("SIZE_LIMIT");
    // Tomcat's own swallow (1 MiB) and the sockets' buffers, far from the drain's 64 MiB.
    assertThat(f.closed()).as("closed by the server after %d bytes", f.sent()).isTrue();
    assertThat(f.sent()).isLessThan(RefusedUploadDrain.DRAIN_MAX / 2);
  }

  /** Nothing stored since {@code files} were listed, and the upload's SIZE_LIMIT row. */
  private static void refusedSizeLimitNothingStored(List<String> files, long before) {
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("SIZE_LIMIT").contains("failure");
  }

  /** What a client that never stops sending saw: the answer, and what it sent until closed. */
  record Flood(String answer, long sent, boolean closed) {}

  /**
   * Sends the form's token, then file bytes up to {@code most} in the body's framing (a header
   * line), reading the answer meanwhile, as curl does; ends when the server closes or after
   * {@code most}.
   */
  static Flood flood(ConsoleSession pub, String framing, long most) throws Exception {
    boolean chunked = framing.startsWith("Transfer-Encoding");
    AtomicLong sent = new AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    // The token first, as the form sends it: the file is read, and bounded, only after it.
    byte[] head = formHead(token(pub));
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      OutputStream out = startPost(socket, PackageUploadForm.PATH, pub, framing);
      out.write(chunked ? chunk(head) : head);
      sent.set(head.length);
      Thread writer = new Thread(() -> {
        byte[] data = new byte[0x10000];
        byte[] piece = chunked ? chunk(data) : data;
        try {
          while (sent.get() + data.length <= most) {
            out.write(piece);
            sent.addAndGet(data.length);
          }
        } catch (IOException e) {
          closed.set(true); // by the server
        }
      });
      writer.start();
      String answer = readAnswer(socket.getInputStream());
      writer.join(60_000);
      return new Flood(answer, sent.get(), closed.get());
    }
  }

  /**
   * A bundle past the limit as a browser sends it: the whole form, with a Content-Length, before
   * reading the answer. Past Tomcat's own swallow bound (1 MiB) the server used to close while
   * the browser was still sending: a dropped connection, not the page.
   */
  @Test
  @DisplayName("SRC-2 a declared length past the limit, the whole body sent before the answer is"
      + " read (a browser): the 413 page with SIZE_LIMIT and the limit in MiB, nothing stored,"
      + " recorded")
  void uploadForm_declaredOversizeSentWhole_browserReadsRefusalPage() throws Exception {
    browserSeesRefusalPage(false);
  }

  @Test
  @DisplayName("SRC-2 a chunked body past the limit, sent whole before the answer is read (a"
      + " browser): the 413 page with SIZE_LIMIT and the limit in MiB, nothing stored, recorded")
  void uploadForm_chunkedOversizeSentWhole_browserReadsRefusalPage() throws Exception {
    browserSeesRefusalPage(true);
  }

  @Test
  @DisplayName("SRC-2 HRD-6 a declared length past the limit with Expect: 100-continue: 413 at"
      + " once, no 100 Continue, no body waited for (the connection closed)")
  void uploadForm_declaredOversizeExpectContinue_refusedWithoutWaitingForBody()
      throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      startPost(socket, PackageUploadForm.PATH, pub,
          "Content-Length: " + (4L << 20) + "\r\nExpect: 100-continue");
      // Were the server to wait for the body it never asked for, this would time out.
      socket.setSoTimeout(10_000);
      String answer = readToEnd(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 413").contains("SIZE_LIMIT")
          .doesNotContain("100 Continue");
    }
  }

  /**
   * A bundle of 32 MiB, over {@link #MAX} and Tomcat's 1 MiB swallow bound, posted as a browser
   * does: the console's refusal page read whole, nothing stored, the refusal recorded.
   */
  private static void browserSeesRefusalPage(boolean chunked) throws IOException {
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    long before = lastAudit();
    String answer = browserPost(pub, token(pub), 32L << 20, chunked);
    assertThat(answer).startsWith("HTTP/1.1 413").contains("text/html")
        .contains("id=\"upload-refusal\"").contains("SIZE_LIMIT")
        .contains(MAX + " bytes, 0.25 MiB").contains("</html>");
    refusedSizeLimitNothingStored(files, before);
  }

  /** The form's CSRF field with {@code token}, then the head of its file part 'bundle'. */
  private static byte[] formHead(String token) {
    return ("--x\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + token
        + "\r\n--x\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b.ngp\"\r\n"
        + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code data} as one chunk of a chunked body. */
  private static byte[] chunk(byte[] data) {
    ByteArrayOutputStream c = new ByteArrayOutputStream();
    c.writeBytes((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    c.writeBytes(data);
    c.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    return c.toByteArray();
  }

  /**
   * Posts the upload form with a file of {@code fileBytes} as a browser does: the whole body
   * first (with a Content-Length, or chunked), then the answer read to the connection's end. A
   * server that closes while the body is still coming fails this with a reset or a broken pipe.
   */
  static String browserPost(ConsoleSession pub, String token, long fileBytes, boolean chunked)
      throws IOException {
    byte[] head = formHead(token);
    byte[] tail = "\r\n--x--\r\n".getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      OutputStream out = startPost(socket, PackageUploadForm.PATH, pub, chunked
          ? "Transfer-Encoding: chunked"
          : "Content-Length: " + (head.length + fileBytes + tail.length));
      byte[] piece = new byte[0x10000];
      out.write(chunked ? chunk(head) : head);
      for (long left = fileBytes; left > 0; left -= piece.length) {
        byte[] p = left >= piece.length ? piece : new byte[(int) left];
        out.write(chunked ? chunk(p) : p);
      }
      out.write(chunked ? chunk(tail) : tail);
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
      return readToEnd(socket.getInputStream());
    }
  }

  /** Everything the server sends until it closes the connection (a reset fails the caller). */
  static String readToEnd(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  @DisplayName("SRC-1 the upload form posted after the session ended: sent to log in, then to"
      + " the packages page (200), never to a 405 of the form's POST-only path; nothing stored")
  void uploadForm_afterSessionEnded_loginLandsOnPackagesPage() throws Exception {
    byte[] file = signed("console-expired", 52);
    ConsoleSession pub = session(Role.PUBLISHER);
    String token = token(pub);
    String ended = pub.sessionId();
    // The session ends as after 30 idle minutes: the server forgets it, the browser still has
    // its cookie and the packages page with its form.
    pub.endOnServer(s.db());
    assertThat(pub.sessionId()).isEqualTo(ended);
    List<String> files = s.storedFiles();
    HttpResponse<String> r = post(pub, PackageUploadForm.PATH,
        multipart(Part.field("_csrf", token), Part.bundle(file)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).endsWith(ConsoleSecurity.LOGIN);
    HttpResponse<String> login = pub.login(ConsoleSecurityTest.user(Role.PUBLISHER),
        ConsoleSecurityTest.password(Role.PUBLISHER));
    assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(login)).isEqualTo("/console/packages");
    HttpResponse<String> page = pub.get(ConsoleSession.location(login));
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    assertThat(page.body()).contains("id=\"upload-form\"");
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-expired/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
  }

  @Test
  @DisplayName("SRC-1 the upload form's CSRF token is its first field, never in its URL")
  void uploadForm_page_tokenFirstFieldNotInUrl() {
    ConsoleSession pub = session(Role.PUBLISHER);
    UploadForm f = uploadForm(pub);
    // In a URL the token would reach access logs, proxies' logs and Referer headers.
    assertThat(f.action()).isEqualTo(PackageUploadForm.PATH);
    assertThat(f.firstField()).isEqualTo("_csrf");
    assertThat(f.firstValue()).isNotBlank();
    assertThat(pub.get("/console/packages").body()).doesNotContain("_csrf=");
  }

  @Test
  @DisplayName("SRC-1 the upload's CSRF token only in its URL (the old form): 403 NOT_AUTHORIZED,"
      + " recorded, nothing stored")
  void uploadForm_tokenOnlyInUrl_refused403NothingStored() throws Exception {
    Attempt a = Attempt.start("console-urlcsrf", 48);
    String token = token(a.pub());
    HttpResponse<String> r = post(a.pub(), PackageUploadForm.PATH + "?_csrf="
        + URLEncoder.encode(token, StandardCharsets.UTF_8),
        multipart(Part.bundle(a.file())));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("id=\"upload-refusal\"").contains("NOT_AUTHORIZED")
        .contains("first part is not its field");
    a.refusedNothingStored();
  }

  @Test
  @DisplayName("SRC-1 the upload's first field not this session's CSRF token (made up, another"
      + " session's, too long): 403 NOT_AUTHORIZED, recorded, nothing stored")
  void uploadForm_wrongToken_refused403NothingStored() throws Exception {
    ConsoleSession other = session(Role.PUBLISHER);
    Attempt a = Attempt.start("console-badcsrf", 49);
    ConsoleSession pub = a.pub();
    token(pub); // this session has a token: only its value is wrong below
    String tooLong = "A".repeat(PackageUploadForm.FIELD_MAX + 1);
    for (String wrong : List.of("forged", token(other), tooLong)) {
      HttpResponse<String> r = post(pub, PackageUploadForm.PATH,
          multipart(Part.field("_csrf", wrong), Part.bundle(a.file())));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
      assertThat(r.body()).contains("NOT_AUTHORIZED")
          .contains("is not this session&#39;s CSRF token");
    }
    a.refusedNothingStored();
  }

  @Test
  @DisplayName("SRC-1 the upload's CSRF field after its file: 403 on the file part's headers,"
      + " before a byte of it is read; nothing stored")
  void uploadForm_tokenAfterFile_refused403BeforeFileRead() throws Exception {
    Attempt a = Attempt.start("console-latecsrf", 50);
    ConsoleSession pub = a.pub();
    HttpResponse<String> r = post(pub, PackageUploadForm.PATH,
        multipart(Part.bundle(a.file()), Part.token(pub)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(r.body()).contains("NOT_AUTHORIZED").contains("first part is not its field");
    // The file part's headers and 10 of its bytes, then nothing: were the file read (to a temp
    // file, to look for the token after it) before the refusal, no answer would come.
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      OutputStream out = startPost(socket, PackageUploadForm.PATH, pub,
          "Transfer-Encoding: chunked");
      String head = "--x\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b\"\r\n"
          + "\r\nPK\u0003\u0004abcdef";
      out.write((Integer.toHexString(head.length()) + "\r\n" + head + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String answer = readAnswer(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 403").contains("NOT_AUTHORIZED");
      // Then the client breaks its body off in the middle of a chunk, as a browser that gave
      // up, while the server drops the rest of it: the page was its whole answer. Nothing more
      // comes (no error page behind it), nothing is logged as an error (noErrorLogged); the
      // server's close ends the wait, so the check below runs after its last word.
      socket.shutdownOutput();
      String rest = answer + readToEnd(socket.getInputStream());
      assertThat(rest.substring(rest.indexOf("</html>") + "</html>".length())).isBlank();
    }
    a.refusedNothingStored();
  }

  @Test
  @DisplayName("SRC-1 the upload without a CSRF field (none, another field first): 403, none kept")
  void uploadForm_withoutCsrfToken_refused() throws Exception {
    Attempt a = Attempt.start("console-nocsrf", 43);
    ConsoleSession pub = a.pub();
    HttpResponse<String> none = post(pub, PackageUploadForm.PATH,
        multipart(Part.bundle(a.file())));
    assertThat(none.statusCode()).as(none.body()).isEqualTo(403);
    assertThat(none.body()).contains("NOT_AUTHORIZED");
    HttpResponse<String> fieldFirst = post(pub, PackageUploadForm.PATH,
        multipart(Part.field("name", "x"), Part.token(pub), Part.bundle(a.file())));
    assertThat(fieldFirst.statusCode()).as(fieldFirst.body()).isEqualTo(403);
    assertThat(fieldFirst.body()).contains("first part is not its field");
    a.refusedNothingStored();
  }

  @Test
  @DisplayName("SRC-1 the CSRF filter's exemption is exactly POST of the upload's path: a trailing"
      + " slash, another case, PUT, or a path parameter keep its check (refused); no session:"
      + " sent to log in")
  void uploadForm_otherPathsOrMethods_notExempt_sessionRequired() throws Exception {
    byte[] file = signed("console-exempt", 51);
    ConsoleSession pub = session(Role.PUBLISHER);
    List<String> files = s.storedFiles();
    for (String path : List.of(PackageUploadForm.PATH + "/", "/console/packages/Upload")) {
      long before = lastAudit();
      HttpResponse<String> r = post(pub, path, multipart(Part.token(pub), Part.bundle(file)));
      // The CSRF filter's 403: it checked, found no token (it reads none from a multipart body).
      assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(403);
      assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body()).as(path)
          .contains("POST " + path).contains("no valid CSRF token");
    }
    // A path parameter or an encoded slash: refused by the container or the firewall (400) or
    // by the CSRF filter (403); the exemption compares the raw URI, which these do not equal.
    for (String path : List.of(PackageUploadForm.PATH + ";jsessionid=" + pub.sessionId(),
        PackageUploadForm.PATH + ";x=y", "/console/packages/upload%2F")) {
      HttpResponse<String> r = post(pub, path, multipart(Part.token(pub), Part.bundle(file)));
      assertThat(r.statusCode()).as(path + ": " + r.body()).isIn(400, 403);
    }
    HttpResponse<String> put = pub.send(java.net.http.HttpRequest.newBuilder(
            s.server.url().resolve(PackageUploadForm.PATH))
        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(
            multipart(Part.token(pub), Part.bundle(file)))).build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(403);
    // Without a session the exempt path still needs one: sent to log in, nothing read.
    ConsoleSession anonymous = new ConsoleSession(s.server.url());
    HttpResponse<String> noSession = anonymous.postMultipart(PackageUploadForm.PATH, BOUNDARY,
        multipart(Part.token(pub), Part.bundle(file)));
    assertThat(noSession.statusCode()).as(noSession.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(noSession)).endsWith(ConsoleSecurity.LOGIN);
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-exempt/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
    // The same form on the exact path is taken: what refused it above was the path or method.
    HttpResponse<String> exact = post(pub, PackageUploadForm.PATH,
        multipart(Part.token(pub), Part.bundle(file)));
    assertThat(exact.statusCode()).as(exact.body()).isEqualTo(302);
  }

  /** A good bundle {@code name} 1.0.0, signed by the trusted code signer. */
  private static byte[] signed(String name, int seed) throws Exception {
    return Files.readAllBytes(Bundles.signed(work, name, "1.0.0", seed, 20_000,
        s.pki.codeSigner().material()));
  }

  /**
   * A publisher's refused attempts at uploading the good bundle {@code name}: its session, the
   * bundle, and the store and the audit log as they were before.
   */
  private record Attempt(ConsoleSession pub, String name, byte[] file, List<String> files,
      long before) {
    static Attempt start(String name, int seed) throws Exception {
      return new Attempt(session(Role.PUBLISHER), name, signed(name, seed), s.storedFiles(),
          lastAudit());
    }

    /** No file kept, the package unknown, the refusal's row: the upload's, NOT_AUTHORIZED. */
    void refusedNothingStored() {
      assertThat(s.storedFiles()).isEqualTo(files);
      assertThat(s.http.get("/api/packages/" + name + "/1.0.0", s.adminToken()).status())
          .isEqualTo(404);
      assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
          .contains("PACKAGE_UPLOAD").contains("NOT_AUTHORIZED").contains("failure");
    }
  }

  @Test
  @DisplayName("SRC-1 a role that may not publish: no form, and posting it is refused 403")
  void uploadForm_nonPublisher_refused() throws Exception {
    Path b = Bundles.signed(work, "console-norole", "1.0.0", 44, 20_000,
        s.pki.codeSigner().material());
    List<String> files = s.storedFiles();
    long before = lastAudit();
    for (Role role : List.of(Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR)) {
      ConsoleSession c = session(role);
      String page = c.get("/console/packages").body();
      assertThat(page).as(role.id()).doesNotContain("id=\"upload-form\"");
      String token = c.csrf("/console/packages");
      HttpResponse<String> r = post(c, PackageUploadForm.PATH,
          multipart(Part.field("_csrf", token), Part.bundle(Files.readAllBytes(b))));
      assertThat(r.statusCode()).as(role.id()).isEqualTo(403);
      assertThat(r.body()).as(role.id()).contains("NOT_AUTHORIZED");
    }
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("POST /console/packages/upload").contains("denied");
  }

  @Test
  @DisplayName("SRC-2 in Chromium: a publisher uploads through the form; a tampered bundle's"
      + " refusal shows its code")
  void browser_publisherUploadsThroughForm() throws Exception {
    Path good = Bundles.signed(work, "console-browser", "1.0.0", 45, 20_000,
        s.pki.codeSigner().material());
    Path bad = Bundles.tampered(Bundles.signed(work, "console-browser-bad", "1.0.0", 46, 20_000,
        s.pki.codeSigner().material()), 46, 20_000);
    try (Browser b = Browser.start(s.server.url())) {
      b.login(ConsoleSecurityTest.user(Role.PUBLISHER), ConsoleSecurityTest.password(Role.PUBLISHER));
      b.open("/console/packages");
      b.element("upload-file").sendKeys(good.toAbsolutePath().toString());
      b.click("upload-submit");
      b.waitForText("uploaded", "console-browser 1.0.0 stored", java.time.Duration.ofSeconds(30));
      assertThat(b.text("packages")).contains("console-browser");
      b.screenshot("packages-upload");
      b.element("upload-file").sendKeys(bad.toAbsolutePath().toString());
      b.click("upload-submit");
      b.waitForText("upload-refusal", "DIGEST_MISMATCH", java.time.Duration.ofSeconds(30));
      b.screenshot("packages-upload-refused");
    }
    assertThat(s.http.get("/api/packages/console-browser-bad/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
  }

  /** Sends the headers of a POST of the upload form in {@code pub}'s session, by hand. */
  static OutputStream startPost(Socket socket, String action, ConsoleSession pub, String length)
      throws IOException {
    socket.setSoTimeout(30_000);
    OutputStream out = socket.getOutputStream();
    out.write(("POST " + action + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: NEGUARD_CONSOLE="
        + pub.sessionId() + "\r\nContent-Type: multipart/form-data; boundary=x\r\n" + length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    return out;
  }

  /** The status line and headers and what body came before the server closed or 5 s passed. */
  static String readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) != -1) {
        got.write(buf, 0, n);
        String text = got.toString(StandardCharsets.ISO_8859_1);
        if (text.contains("SIZE_LIMIT") || text.contains("</html>")) {
          break;
        }
      }
    } catch (java.net.SocketException e) {
      // reset by the server after its answer
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }
}
