package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Bundles;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The Packages page's upload form for publishers (issue 18, SRC-2): the same verified ingest as
 * {@code POST /api/packages}, its refusals shown with their reason code, nothing left behind by
 * a refusal, a body too large refused before it is read, the CSRF token and the role checked.
 */
@DisplayName("SRC-1 SRC-2 console package upload")
class ConsolePackageUploadTest {
  /** Small, so that "too large" is quick to send; the test bundles are some 20 KB. */
  static final long MAX = 256 * 1024;
  private static final Pattern ACTION = Pattern.compile(
      "id=\"upload-form\"[^>]*action=\"([^\"]+)\"|action=\"([^\"]+)\"[^>]*id=\"upload-form\"",
      Pattern.DOTALL);
  static TestServer s;
  static Path work;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start(null, b -> b.maxUploadBytes(MAX));
    for (Role r : Role.values()) {
      s.token(r);
    }
    work = Files.createDirectories(s.dir.resolve("work"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  static ConsoleSession session(Role r) {
    ConsoleSession c = new ConsoleSession(s.server.url());
    HttpResponse<String> login = c.login(ConsoleSecurityTest.user(r),
        ConsoleSecurityTest.password(r));
    assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
    return c;
  }

  /** The upload form's action, with the page's CSRF token in its query. */
  static String action(ConsoleSession c) {
    String page = c.get("/console/packages").body();
    Matcher m = ACTION.matcher(page);
    assertThat(m.find()).as(page).isTrue();
    String a = m.group(1) != null ? m.group(1) : m.group(2);
    return a.replace("&amp;", "&");
  }

  /** A multipart/form-data body as a browser sends the form: the CSRF field, then the file. */
  static byte[] form(String boundary, byte[] file, String csrfField) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String head = (csrfField == null ? "" : "--" + boundary + "\r\nContent-Disposition: form-data;"
        + " name=\"_csrf\"\r\n\r\n" + csrfField + "\r\n")
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"bundle\";"
        + " filename=\"b.ngp\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(file);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** A form body of {@code fields} small {@code _csrf} fields, then {@code bundle}'s file. */
  static byte[] fieldsThenFile(int fields, Path bundle) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n"
        + "\r\nx\r\n").repeat(fields - 1).getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(form(BOUNDARY, Files.readAllBytes(bundle), "x"));
    return out.toByteArray();
  }

  static final String BOUNDARY = "----neguardTestBoundary7MA4YWxkTrZu0gW";

  static HttpResponse<String> upload(ConsoleSession c, String action, byte[] file) {
    return post(c, action, form(BOUNDARY, file, "ignored"));
  }

  /** Posts {@code body}, a multipart/form-data body with {@link #BOUNDARY}, to {@code action}. */
  static HttpResponse<String> post(ConsoleSession c, String action, byte[] body) {
    HttpClient client = HttpClient.newBuilder().cookieHandler(c.cookies)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    try {
      return client.send(HttpRequest.newBuilder(s.server.url().resolve(action))
          .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body))
          .build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
    HttpResponse<String> r = upload(pub, action(pub), Files.readAllBytes(b));
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
    HttpResponse<String> again = upload(pub, action(pub), Files.readAllBytes(b));
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
    HttpResponse<String> r = upload(pub, action(pub), bad);
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
    HttpResponse<String> r = pub.post("/console/packages", "/console/packages/upload",
        java.util.Map.of("bundle", "not a file"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("MALFORMED").contains("multipart/form-data");
    assertThat(s.storedFiles()).isEqualTo(files);
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
    HttpResponse<String> r = post(pub, action(pub), fieldsThenFile(1000, b));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
    assertThat(r.body()).contains("id=\"upload-refusal\"").contains("SIZE_LIMIT")
        .contains("more than " + PackageUploadForm.MAX_FIELDS + " fields before its file");
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-parts/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("PACKAGE_UPLOAD").contains("SIZE_LIMIT").contains("failure");
    // The form's own field repeated up to the bound is still taken.
    HttpResponse<String> ok = post(pub, action(pub),
        fieldsThenFile(PackageUploadForm.MAX_FIELDS, b));
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(302);
  }

  @Test
  @DisplayName("SRC-2 a declared length past the limit: 413 SIZE_LIMIT before the body is read")
  void uploadForm_declaredOversize_refusedWithoutReadingBody() throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    String action = action(pub);
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
  @DisplayName("SRC-2 a chunked body past the limit: 413 SIZE_LIMIT while streaming, nothing kept")
  void uploadForm_chunkedOversize_refusedWhileStreaming() throws Exception {
    ConsoleSession pub = session(Role.PUBLISHER);
    String action = action(pub);
    List<String> files = s.storedFiles();
    AtomicLong sent = new AtomicLong();
    try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
      OutputStream out = startPost(socket, action, pub, "Transfer-Encoding: chunked");
      String head = "--x\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"b\"\r\n\r\n";
      out.write((Integer.toHexString(head.length()) + "\r\n" + head + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      Thread writer = new Thread(() -> {
        byte[] chunk = ("10000\r\n" + "A".repeat(0x10000) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        try {
          while (sent.get() < (1L << 30)) {
            out.write(chunk);
            sent.addAndGet(0x10000);
          }
        } catch (IOException e) {
          // closed by the server
        }
      });
      writer.start();
      String answer = readAnswer(socket.getInputStream());
      writer.join(60_000);
      assertThat(answer).startsWith("HTTP/1.1 413").contains("SIZE_LIMIT");
      // Read up to the limit and the server's bounded swallow, not the client's gigabyte.
      assertThat(sent.get()).isLessThan(64L << 20);
    }
    assertThat(s.storedFiles()).isEqualTo(files);
  }

  @Test
  @DisplayName("SRC-1 the upload form without its CSRF token (in its URL) is refused 403")
  void uploadForm_withoutCsrfToken_refused() throws Exception {
    Path b = Bundles.signed(work, "console-nocsrf", "1.0.0", 43, 20_000,
        s.pki.codeSigner().material());
    ConsoleSession pub = session(Role.PUBLISHER);
    String token = action(pub).replaceFirst(".*_csrf=", "");
    List<String> files = s.storedFiles();
    // Without it; and with it only in the body, where the server does not look for it.
    assertThat(upload(pub, "/console/packages/upload", Files.readAllBytes(b)).statusCode())
        .isEqualTo(403);
    assertThat(upload(pub, "/console/packages/upload?_csrf=forged", Files.readAllBytes(b))
        .statusCode()).isEqualTo(403);
    String boundary = "b0undary";
    HttpClient client = HttpClient.newBuilder().cookieHandler(pub.cookies).build();
    HttpResponse<String> inBody = client.send(HttpRequest.newBuilder(
            s.server.url().resolve("/console/packages/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(
            form(boundary, Files.readAllBytes(b), java.net.URLDecoder.decode(token,
                StandardCharsets.UTF_8)))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(inBody.statusCode()).isEqualTo(403);
    assertThat(s.storedFiles()).isEqualTo(files);
    assertThat(s.http.get("/api/packages/console-nocsrf/1.0.0", s.adminToken()).status())
        .isEqualTo(404);
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
      HttpResponse<String> r = upload(c, "/console/packages/upload?_csrf="
          + java.net.URLEncoder.encode(token, StandardCharsets.UTF_8), Files.readAllBytes(b));
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
