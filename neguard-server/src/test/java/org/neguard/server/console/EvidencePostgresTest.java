package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.Sha256;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The console's evidence documents against someone who can write the database (SRC-3, security
 * review): on a real PostgreSQL (127.0.0.1:5432), a document's bytes changed together with the
 * SHA-256 in its own row, a document with no generation in the audit log, and a generation's
 * audit row edited in place are each refused DIGEST_MISMATCH, never served.
 */
@DisplayName("SRC-3 console evidence documents checked against the audit log, on PostgreSQL")
class EvidencePostgresTest {
  private static final byte[] FORGED =
      "<html>forged: all PASS</html>".getBytes(StandardCharsets.UTF_8);
  static String database;
  static TestServer s;
  static ConsoleSession auditor;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_evidence_");
    s = TestServer.start(TestDb.url(database));
    s.token(Role.AUDITOR);
    auditor = new ConsoleSession(s.server.url());
    assertThat(auditor.login(ConsoleSecurityTest.user(Role.AUDITOR),
        ConsoleSecurityTest.password(Role.AUDITOR)).statusCode()).isEqualTo(302);
  }

  @AfterAll
  static void stop() throws Exception {
    TestDb.closeAndDrop(s, database);
  }

  /** Generates an authorization document from the page's form; its id. */
  static long generate() {
    HttpResponse<String> r = auditor.post("/console/evidence", "/console/evidence",
        Map.of("kind", "authorization"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    String location = ConsoleSession.location(r);
    return Long.parseLong(location.substring(location.indexOf("#doc-") + 5));
  }

  static HttpResponse<String> download(long id, String format) throws Exception {
    HttpClient client = HttpClient.newBuilder().cookieHandler(auditor.cookies)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    return client.send(HttpRequest.newBuilder(s.server.url().resolve("/console/evidence/" + id
        + "/" + format)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static int sql(String sql, Object... params) throws Exception {
    try (Connection c = TestDb.connect(database); PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        p.setObject(i + 1, params[i]);
      }
      return p.executeUpdate();
    }
  }

  /**
   * Replaces document {@code id}'s HTML and the SHA-256 in its row together, as someone who can
   * write the table would; the SHA-256 the row had.
   */
  static String forge(long id) throws Exception {
    String original = rowSha(id);
    assertThat(sql("UPDATE evidence_documents SET html = ?, html_sha256 = ? WHERE id = ?",
        FORGED, Sha256.hex(FORGED), id)).isEqualTo(1);
    return original;
  }

  /** The SHA-256 stored in document {@code id}'s own row for its HTML. */
  static String rowSha(long id) throws Exception {
    try (Connection c = TestDb.connect(database); PreparedStatement p = c.prepareStatement(
        "SELECT html_sha256 FROM evidence_documents WHERE id = ?")) {
      p.setLong(1, id);
      try (ResultSet rs = p.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getString(1);
      }
    }
  }

  static void assertRefused(HttpResponse<String> r, String why) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.body()).contains("DIGEST_MISMATCH").contains(why)
        .contains("Generate the document again").doesNotContain("forged: all PASS");
  }

  @Test
  @DisplayName("SRC-3 bytes and the row's SHA-256 replaced together in PostgreSQL: refused"
      + " DIGEST_MISMATCH against the EVIDENCE_GENERATE row, recorded; the other format served")
  void download_bytesAndRowDigestReplacedTogether_refusedDigestMismatch() throws Exception {
    long id = generate();
    assertThat(download(id, "html").statusCode()).isEqualTo(200);
    String original = forge(id);
    long before = ConsoleSecurityTest.lastAudit(s);
    assertRefused(download(id, "html"), "not the " + original + " that its EVIDENCE_GENERATE"
        + " audit row");
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("EVIDENCE_DOWNLOAD").contains("failure").contains(original);
    assertThat(download(id, "json").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("SRC-3 only the row's SHA-256 changed (the bytes as generated): refused")
  void download_rowDigestChanged_refusedDigestMismatch() throws Exception {
    long id = generate();
    sql("UPDATE evidence_documents SET html_sha256 = ? WHERE id = ?", "0".repeat(64), id);
    assertRefused(download(id, "html"), "stored with it");
  }

  @Test
  @DisplayName("SRC-3 a document put into the table with matching digests but never generated"
      + " (no EVIDENCE_GENERATE row): refused")
  void download_noGenerationRow_refusedDigestMismatch() throws Exception {
    sql("INSERT INTO evidence_documents (id, kind, generated_at, generated_by, verdict, summary,"
        + " html, html_sha256, json, json_sha256) VALUES (900001, 'integrity', ?, 'u-auditor',"
        + " 'PASS', 'planted', ?, ?, ?, ?)", OffsetDateTime.now(ZoneOffset.UTC), FORGED,
        Sha256.hex(FORGED), "{}".getBytes(StandardCharsets.UTF_8),
        Sha256.hex("{}".getBytes(StandardCharsets.UTF_8)));
    assertRefused(download(900_001, "html"), "no EVIDENCE_GENERATE audit row records");
    assertRefused(download(900_001, "json"), "no EVIDENCE_GENERATE audit row records");
  }

  @Test
  @DisplayName("SRC-3 bytes, row digest and the EVIDENCE_GENERATE row's digest all replaced:"
      + " the audit row's own hash no longer matches, refused")
  void download_generationRowEditedInPlace_refusedDigestMismatch() throws Exception {
    long id = generate();
    String original = forge(id);
    assertThat(sql("UPDATE audit_log SET detail = replace(detail, ?, ?) WHERE action ="
        + " 'EVIDENCE_GENERATE' AND target = ?", original, Sha256.hex(FORGED),
        "evidence document " + id + " (authorization)")).isEqualTo(1);
    assertRefused(download(id, "html"), "was altered (its hash does not match its fields)");
  }
}
