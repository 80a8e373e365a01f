package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.Sha256;
import org.neguard.server.Http;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The console's Evidence page over plain HTTP against a real server (issue 18, SRC-3, HRD-6,
 * ATT-4): each kind generated from the server's records with the verdict they call for, stored
 * once and downloaded exactly as stored (its SHA-256), an audit row each; a form without its CSRF
 * token, a role without access and a document altered in the database all refused.
 */
@DisplayName("SRC-3 HRD-6 ATT-4 console evidence documents")
class EvidencePageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static TestServer s;
  static final Map<Role, ConsoleSession> sessions = new EnumMap<>(Role.class);

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    for (Role r : Role.values()) {
      s.token(r);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  static synchronized ConsoleSession session(Role r) {
    return sessions.computeIfAbsent(r, k -> {
      ConsoleSession c = new ConsoleSession(s.server.url());
      assertThat(c.login(ConsoleSecurityTest.user(k), ConsoleSecurityTest.password(k))
          .statusCode()).isEqualTo(302);
      return c;
    });
  }

  /** A stored document's row, as the database holds it. */
  record Row(long id, String kind, String verdict, String by, String htmlSha256,
      String jsonSha256) {}

  /** Generates a document of {@code kind} from the page's form; its stored row. */
  static Row generate(Role role, String kind) throws Exception {
    HttpResponse<String> r = session(role).post("/console/evidence", "/console/evidence",
        Map.of("kind", kind));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    String location = ConsoleSession.location(r);
    assertThat(location).startsWith("/console/evidence#doc-");
    return row(Long.parseLong(location.substring(location.indexOf("#doc-") + 5)));
  }

  static Row row(long id) throws Exception {
    try (Connection c = s.db(); PreparedStatement p = c.prepareStatement("SELECT kind, verdict,"
        + " generated_by, html_sha256, json_sha256 FROM evidence_documents WHERE id = ?")) {
      p.setLong(1, id);
      try (ResultSet rs = p.executeQuery()) {
        assertThat(rs.next()).as("document %s stored", id).isTrue();
        return new Row(id, rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5));
      }
    }
  }

  static int stored() throws Exception {
    try (Connection c = s.db(); ResultSet rs = c.createStatement()
        .executeQuery("SELECT COUNT(*) FROM evidence_documents")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Downloads a document with {@code role}'s session, as bytes. */
  static HttpResponse<byte[]> download(Role role, long id, String format) throws IOException,
      InterruptedException {
    HttpClient client = HttpClient.newBuilder().cookieHandler(session(role).cookies)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    return client.send(HttpRequest.newBuilder(s.server.url().resolve("/console/evidence/" + id
        + "/" + format)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static JsonNode json(Row row) throws Exception {
    HttpResponse<byte[]> r = download(Role.AUDITOR, row.id(), "json");
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** The verdict of test case {@code id} in a document's JSON. */
  static String verdictOf(JsonNode doc, String field, String id) {
    for (JsonNode c : doc.path(field)) {
      if (c.path("id").asText().equals(id)) {
        return c.path("verdict").asText();
      }
    }
    throw new AssertionError("no test case " + id + " in " + doc);
  }

  static long lastAudit() {
    return s.http.get("/api/audit?tail=true&limit=1", s.adminToken()).json().path(0).path("seq")
        .asLong();
  }

  static void device(String id, String neType, String trust) throws Exception {
    try (Connection c = s.db(); PreparedStatement p = c.prepareStatement("INSERT INTO devices"
        + " (id, ne_type, trust_state, enrolled_at, enrollment_token, cert_serial,"
        + " cert_not_after) VALUES (?, ?, ?, ?, 'test', ?, ?)")) {
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      p.setString(1, id);
      p.setString(2, neType);
      p.setString(3, trust);
      p.setObject(4, now);
      p.setString(5, "serial-" + id);
      p.setObject(6, now.plusDays(1));
      p.executeUpdate();
    }
  }

  static void sql(String sql, Object... params) throws Exception {
    try (Connection c = s.db(); PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        p.setObject(i + 1, params[i]);
      }
      p.executeUpdate();
    }
  }

  /** A judged AFTER_UPDATE attestation of {@code device}, {@code minutesAgo} ago. */
  static void attestation(String id, String device, String result, int minutesAgo)
      throws Exception {
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(minutesAgo);
    sql("INSERT INTO attestations (id, device_id, nonce, reason, requested_by, requested_at,"
        + " expires_at, judged_at, result, trust_base, tim, reason_codes, reason_message)"
        + " VALUES (?, ?, ?, 'AFTER_UPDATE', 'test', ?, ?, ?, ?, 'VENDOR_SIGNED', ?, ?, ?)",
        id, device, "nonce-" + id, at, at.plusMinutes(5), at.plusSeconds(1), result,
        "ab".repeat(32), result.equals("PASS") ? "" : "MEASUREMENT_MISMATCH",
        result.equals("PASS") ? "" : "component pkg:core: file lib/core.so differs");
  }

  @Test
  @DisplayName("SRC-3 HRD-6 ATT-4 each kind generated, listed with date, verdict and author,"
      + " downloaded as HTML and JSON exactly as stored (SHA-256), an audit row each")
  void generate_eachKind_listedAndDownloadedAsStored() throws Exception {
    for (String kind : List.of("integrity", "hardening", "authorization")) {
      long before = lastAudit();
      Row row = generate(Role.AUDITOR, kind);
      assertThat(row.kind()).isEqualTo(kind);
      assertThat(row.by()).isEqualTo("u-auditor");
      String page = session(Role.AUDITOR).get("/console/evidence").body();
      String listed = page.substring(page.indexOf("id=\"doc-" + row.id() + "\""));
      listed = listed.substring(0, listed.indexOf("</tr>"));
      assertThat(listed).contains("<td>" + kind + "</td>").contains("<td>u-auditor</td>")
          .contains(">" + row.verdict() + "</td>").contains(row.htmlSha256())
          .contains(row.jsonSha256()).containsPattern("<td>20\\d\\d-\\d\\d-\\d\\dT");

      HttpResponse<byte[]> html = download(Role.AUDITOR, row.id(), "html");
      assertThat(html.statusCode()).isEqualTo(200);
      assertThat(html.headers().firstValue("Content-Disposition")).hasValue(
          "attachment; filename=\"neguard-evidence-" + kind + "-" + row.id() + ".html\"");
      assertThat(Sha256.hex(html.body())).isEqualTo(row.htmlSha256());
      assertThat(new String(html.body(), StandardCharsets.UTF_8)).startsWith("<!DOCTYPE html>")
          .contains("NEGuard " + kind + " evidence");
      HttpResponse<byte[]> json = download(Role.ADMIN, row.id(), "json");
      assertThat(json.statusCode()).isEqualTo(200);
      assertThat(Sha256.hex(json.body())).isEqualTo(row.jsonSha256());
      assertThat(JSON.readTree(json.body()).path("verdict").asText())
          .isEqualToIgnoringCase(row.verdict());

      Http.Response audit = s.http.get("/api/audit?after=" + before, s.adminToken());
      assertThat(audit.body()).contains("EVIDENCE_GENERATE")
          .contains("evidence document " + row.id() + " (" + kind + ")")
          .contains("html sha256 " + row.htmlSha256()).contains("EVIDENCE_DOWNLOAD");
    }
  }

  @Test
  @DisplayName("ATT-4 integrity: a failed attestation that left its NE trusted makes the"
      + " document FAIL; the NE quarantined, it passes again")
  void integrity_failedAttestationLeftTrusted_fails() throws Exception {
    device("ev-int-1", "mme", "trusted");
    attestation("ev-att-1", "ev-int-1", "PASS", 30);
    Row ok = generate(Role.ADMIN, "integrity");
    assertThat(ok.verdict()).isEqualTo("PASS");
    assertThat(verdictOf(json(ok), "requirements", "TC-ATT4-01")).isEqualTo("PASS");

    attestation("ev-att-2", "ev-int-1", "FAIL", 10);
    Row failed = generate(Role.ADMIN, "integrity");
    assertThat(failed.verdict()).isEqualTo("FAIL");
    JsonNode doc = json(failed);
    assertThat(verdictOf(doc, "requirements", "TC-ATT4-01")).isEqualTo("FAIL");
    assertThat(doc.path("summary").path("failed").toString()).contains("TC-ATT4-01");
    assertThat(session(Role.AUDITOR).get("/console/evidence").body())
        .contains("failed: TC-ATT4-01");

    sql("UPDATE devices SET trust_state = 'quarantined' WHERE id = 'ev-int-1'");
    assertThat(generate(Role.ADMIN, "integrity").verdict()).isEqualTo("PASS");
  }

  @Test
  @DisplayName("HRD-6 hardening: an NE whose last inventory passed its policy passes; an open"
      + " finding fails the document")
  void hardening_openFinding_fails() throws Exception {
    Http.Response policy = s.http.sendRaw("POST", "/api/policies/ev-type",
        Map.of("Authorization", "Bearer " + s.adminToken(), "Content-Type", "application/yaml"),
        ("schema: neguard-hardening-policy/1\nneType: ev-type\nallowed:\n"
            + "  - transport: tcp\n    port: 22\n    service: ssh\n"
            + "    justification: OAM shell\n").getBytes(StandardCharsets.UTF_8));
    assertThat(policy.status()).as("%s", policy).isEqualTo(201);
    device("ev-hrd-1", "ev-type", "trusted");
    sql("INSERT INTO device_drift (device_id, last_inventory_at, last_verdict)"
        + " VALUES ('ev-hrd-1', ?, 'PASS')", OffsetDateTime.now(ZoneOffset.UTC));
    Row ok = generate(Role.AUDITOR, "hardening");
    assertThat(ok.verdict()).isEqualTo("PASS");
    assertThat(verdictOf(json(ok), "testCases", "TC-HRD-ev-hrd-1")).isEqualTo("PASS");

    sql("INSERT INTO drift_findings (device_id, protocol, port, address, kind, process, detail,"
        + " policy_version, opened_at) VALUES ('ev-hrd-1', 'tcp', 2323, '0.0.0.0', 'UNDECLARED',"
        + " '42 nc', 'not declared', 1, ?)", OffsetDateTime.now(ZoneOffset.UTC));
    sql("UPDATE device_drift SET last_verdict = 'FAIL' WHERE device_id = 'ev-hrd-1'");
    Row failed = generate(Role.AUDITOR, "hardening");
    assertThat(failed.verdict()).isEqualTo("FAIL");
    JsonNode doc = json(failed);
    assertThat(verdictOf(doc, "testCases", "TC-HRD-ev-hrd-1")).isEqualTo("FAIL");
    assertThat(doc.toString()).contains("OPEN tcp/2323 on 0.0.0.0 UNDECLARED");
  }

  @Test
  @DisplayName("SRC-1 authorization: the declared matrix passes SRC-1's rules; enforcement is"
      + " left to the probes (not demonstrated), refusals recorded")
  void authorization_declaredMatrix_passesRules() throws Exception {
    session(Role.OPERATOR).get("/console/users"); // a refusal, recorded
    Row row = generate(Role.AUDITOR, "authorization");
    assertThat(row.verdict()).isEqualTo("PASS");
    JsonNode doc = json(row);
    for (String id : List.of("TC-SRC1-D1", "TC-SRC1-D2", "TC-SRC1-D3", "TC-SRC1-D4",
        "TC-SRC3-D1")) {
      assertThat(verdictOf(doc, "testCases", id)).as(id).isEqualTo("PASS");
    }
    assertThat(verdictOf(doc, "testCases", "TC-SRC1-P1")).isEqualTo("NOT_TESTED");
    assertThat(doc.path("observed").path("endpoints").toString())
        .contains("/console/evidence/{id}/{format}");
  }

  @Test
  @DisplayName("SRC-1 the generation form posted without its CSRF token (or a forged one) is"
      + " refused 403: nothing stored")
  void generate_withoutCsrfToken_refusedNothingStored() throws Exception {
    int before = stored();
    ConsoleSession c = session(Role.AUDITOR);
    assertThat(c.postRaw("/console/evidence", Map.of("kind", "integrity")).statusCode())
        .isEqualTo(403);
    assertThat(c.postRaw("/console/evidence", Map.of("kind", "integrity", "_csrf", "forged"))
        .statusCode()).isEqualTo(403);
    assertThat(stored()).isEqualTo(before);
  }

  @Test
  @DisplayName("SRC-1 operators, approvers and publishers: the page, the form and the downloads"
      + " refused 403, recorded; nothing stored")
  void rolesWithoutAccess_refused() throws Exception {
    Row row = generate(Role.ADMIN, "authorization");
    int before = stored();
    long auditBefore = lastAudit();
    for (Role role : List.of(Role.OPERATOR, Role.APPROVER, Role.PUBLISHER)) {
      ConsoleSession c = session(role);
      assertThat(c.get("/console/evidence").statusCode()).as(role.id()).isEqualTo(403);
      HttpResponse<String> post = c.post("/console/login", "/console/evidence",
          Map.of("kind", "hardening"));
      assertThat(post.statusCode()).as(role.id()).isEqualTo(403);
      assertThat(post.body()).contains("NOT_AUTHORIZED");
      assertThat(download(role, row.id(), "html").statusCode()).as(role.id()).isEqualTo(403);
      assertThat(download(role, row.id(), "json").statusCode()).as(role.id()).isEqualTo(403);
    }
    assertThat(stored()).isEqualTo(before);
    assertThat(s.http.get("/api/audit?after=" + auditBefore, s.adminToken()).body())
        .contains("POST /console/evidence").contains("GET /console/evidence/" + row.id()
            + "/html").contains("denied").doesNotContain("EVIDENCE_GENERATE")
        .doesNotContain("EVIDENCE_DOWNLOAD");
  }

  @Test
  @DisplayName("SRC-3 a stored document altered in the database is refused DIGEST_MISMATCH, never"
      + " served; an unknown kind, format or document refused")
  void download_alteredInDatabase_refusedDigestMismatch() throws Exception {
    Row row = generate(Role.AUDITOR, "authorization");
    sql("UPDATE evidence_documents SET html = ? WHERE id = ?",
        "<html>forged: all PASS</html>".getBytes(StandardCharsets.UTF_8), row.id());
    long before = lastAudit();
    HttpResponse<byte[]> r = download(Role.AUDITOR, row.id(), "html");
    assertThat(r.statusCode()).isEqualTo(422);
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(body).contains("DIGEST_MISMATCH").doesNotContain("forged: all PASS");
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("EVIDENCE_DOWNLOAD").contains("failure").contains(row.htmlSha256());
    // The other format, untouched, is still served.
    assertThat(download(Role.AUDITOR, row.id(), "json").statusCode()).isEqualTo(200);

    int stored = stored();
    HttpResponse<String> bad = session(Role.AUDITOR).post("/console/evidence",
        "/console/evidence", Map.of("kind", "<b>secrets</b>"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("BAD_INPUT").contains("&lt;b&gt;secrets").doesNotContain(
        "<b>secrets");
    assertThat(stored()).isEqualTo(stored);
    assertThat(download(Role.AUDITOR, row.id(), "pdf").statusCode()).isEqualTo(400);
    assertThat(download(Role.AUDITOR, 999_999, "html").statusCode()).isEqualTo(404);
    assertThat(session(Role.AUDITOR).get("/console/evidence/x/html").statusCode())
        .isEqualTo(404);
  }
}
