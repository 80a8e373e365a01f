package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestServer.Role;

/**
 * The hash-chained audit log (SRC-3): rows altered or deleted directly in the database are named
 * by the chain verification; exports are one well-formed record per line whatever the fields
 * hold; concurrent appends keep one unbroken chain.
 */
@DisplayName("SRC-3 audit chain")
class AuditChainTest {
  static TestServer s;
  static String auditor;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    auditor = s.token(Role.AUDITOR);
    // Some history: a failed login, a user, a denied request.
    s.http.post("/api/auth/login", null, Map.of("username", "admin", "password", "wrong-pass-1234"));
    s.token(Role.PUBLISHER);
    s.http.get("/api/users", s.token(Role.PUBLISHER));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  static JsonNode verify() {
    Http.Response r = s.http.get("/api/audit/verify", auditor);
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.json();
  }

  @Test
  void verify_untouchedLog_intact() {
    JsonNode v = verify();
    assertThat(v.path("intact").asBoolean()).as("%s", v).isTrue();
    assertThat(v.path("rows").asLong()).isGreaterThan(5);
  }

  @Test
  void verify_rowAlteredInDatabase_namesIt() throws Exception {
    try (Connection c = s.db()) {
      String old = one(c, "SELECT detail FROM audit_log WHERE seq = 3");
      exec(c, "UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 3");
      try {
        JsonNode v = verify();
        assertThat(v.path("intact").asBoolean()).isFalse();
        assertThat(v.path("firstBadSeq").asLong()).isEqualTo(3);
        assertThat(v.path("problem").asText()).contains("row 3 was altered");
      } finally {
        exec(c, "UPDATE audit_log SET detail = ? WHERE seq = 3", old);
      }
    }
    assertThat(verify().path("intact").asBoolean()).isTrue();
  }

  @Test
  void verify_rowAlteredAndRehashed_namesIt() throws Exception {
    try (Connection c = s.db()) {
      String[] old = row(c, 2);
      // A smarter attacker recomputes the row's own hash; the next row's link still breaks.
      String forged = org.neguard.server.audit.AuditChain.hash(2, old[0], "mallory", old[2],
          old[3], old[4], old[5], old[6], old[7]);
      exec(c, "UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2", forged);
      try {
        JsonNode v = verify();
        assertThat(v.path("intact").asBoolean()).isFalse();
        assertThat(v.path("firstBadSeq").asLong()).isEqualTo(2);
      } finally {
        exec(c, "UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 2", old[1], old[8]);
      }
    }
    assertThat(verify().path("intact").asBoolean()).isTrue();
  }

  @Test
  void verify_rowDeletedInMiddle_namesIt() throws Exception {
    try (Connection c = s.db()) {
      String[] old = row(c, 4);
      exec(c, "DELETE FROM audit_log WHERE seq = 4");
      try {
        JsonNode v = verify();
        assertThat(v.path("intact").asBoolean()).isFalse();
        assertThat(v.path("firstBadSeq").asLong()).isEqualTo(4);
        assertThat(v.path("problem").asText()).contains("row 4 was deleted");
      } finally {
        insert(c, 4, old);
      }
    }
    assertThat(verify().path("intact").asBoolean()).isTrue();
  }

  @Test
  void verify_lastRowsDeleted_namesThem() throws Exception {
    s.http.get("/api/users", s.token(Role.OPERATOR)); // a fresh row to remove
    try (Connection c = s.db()) {
      long last = Long.parseLong(one(c, "SELECT MAX(seq) FROM audit_log"));
      String[] old = row(c, last);
      exec(c, "DELETE FROM audit_log WHERE seq = ?", last);
      try {
        JsonNode v = verify();
        assertThat(v.path("intact").asBoolean()).isFalse();
        assertThat(v.path("firstBadSeq").asLong()).isEqualTo(last);
        assertThat(v.path("problem").asText()).contains("deleted at the end");
      } finally {
        insert(c, last, old);
      }
    }
  }

  @Test
  void api_offersNoWayToChangeOrDeleteRows() {
    for (String method : List.of("PUT", "PATCH", "DELETE", "POST")) {
      for (String path : List.of("/api/audit", "/api/audit/1")) {
        Http.Response r = s.http.send(method, path, s.adminToken(), "{}");
        assertThat(r.status()).as("%s %s: %s", method, path, r).isIn(404, 405);
      }
    }
  }

  @Test
  void append_concurrent_oneUnbrokenChain() throws Exception {
    long before = verify().path("rows").asLong();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    String operator = s.token(Role.OPERATOR);
    for (int i = 0; i < 80; i++) {
      futures.add(pool.submit(() -> s.http.get("/api/audit", operator))); // denied: one row each
    }
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    JsonNode v = verify();
    assertThat(v.path("intact").asBoolean()).as("%s", v).isTrue();
    assertThat(v.path("rows").asLong()).isGreaterThanOrEqualTo(before + 80);
  }

  @Test
  void export_hostileFields_oneRecordPerLineInEveryFormat() {
    String hostile = "evil|name=x\nCEF:0|fake|line\\";
    s.http.post("/api/auth/login", null, Map.of("username", hostile, "password", "whatever-12345"));
    long rows = s.http.get("/api/audit?limit=10000", auditor).json().size();

    Http.Response jsonl = s.http.get("/api/audit/export?format=jsonl", auditor);
    assertThat(jsonl.status()).isEqualTo(200);
    List<String> lines = jsonl.body().lines().toList();
    assertThat(lines.size()).isGreaterThanOrEqualTo((int) rows);
    boolean found = false;
    for (String line : lines) {
      JsonNode n = new Http.Response(200, line).json();
      assertThat(n.has("hash")).isTrue();
      // Control characters in a failed login's name are escaped, the rest kept as typed.
      found |= n.path("actor").asText().equals("evil|name=x\\u000aCEF:0|fake|line\\");
    }
    assertThat(found).as("the hostile name is kept, its newline escaped").isTrue();

    Http.Response cef = s.http.get("/api/audit/export?format=cef", auditor);
    List<String> cefLines = cef.body().lines().toList();
    assertThat(cefLines).allMatch(l -> l.startsWith("CEF:0|NEGuard|neguard-server|"));
    assertThat(cef.body()).contains("suser=evil|name\\=x\\\\u000aCEF:0|fake|line\\\\ ");

    Http.Response syslog = s.http.get("/api/audit/export?format=syslog", auditor);
    assertThat(syslog.body().lines()).allMatch(l -> l.matches("<\\d+>1 \\S+ \\S+ neguard-server - .*CEF:0\\|.*"));
    assertThat(s.http.get("/api/audit/export?format=xml", auditor).status()).isEqualTo(400);
  }

  /** ESC sequences, an 8-bit CSI, DEL, a line separator and a right-to-left override. */
  static final String CONTROLS = "esc\u001b[2J\u001b]0;owned\u0007|\u009b31m\u007f\u2028\u202e";

  static boolean isControl(int c) {
    int t = Character.getType(c);
    return Character.isISOControl(c) || t == Character.LINE_SEPARATOR
        || t == Character.PARAGRAPH_SEPARATOR || t == Character.FORMAT
        || t == Character.SURROGATE;
  }

  /**
   * SRC-3, issue 10 finding 6: the throttled login path stored the typed name raw. Escaping
   * happens where rows are stored, so no path can store a control character: after hostile
   * names on the throttled, failed and password-change paths, no field of any row holds one.
   */
  @Test
  @DisplayName("SRC-3 control characters are stored escaped on every path")
  void store_controlCharactersOnEveryPath_noRowHoldsOne() throws Exception {
    String operator = s.token(Role.OPERATOR);
    try (Connection c = s.db()) {
      try {
        // Failed logins under the hostile name until the address has used its budget; then
        // the throttled path, which used to store the name raw.
        Http.Response r = null;
        for (int i = 0; i < 25 && (r == null || r.status() != 429); i++) {
          r = s.http.post("/api/auth/login", null,
              Map.of("username", CONTROLS, "password", "x-12345678901"));
        }
        assertThat(r.status()).as("%s", r).isEqualTo(429);
        Http.Response pw = s.http.send("PUT", "/api/auth/password", operator,
            Http.json(Map.of("oldPassword", CONTROLS, "newPassword", "long-enough-pass")));
        assertThat(pw.status()).as("%s", pw).isIn(403, 429);
      } finally {
        exec(c, "DELETE FROM login_addresses");
      }
      List<String> raw = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT * FROM audit_log ORDER BY seq");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            String v = rs.getString(i);
            if (v != null && v.codePoints().anyMatch(AuditChainTest::isControl)) {
              raw.add("row " + rs.getLong("seq") + " " + rs.getMetaData().getColumnName(i));
            }
          }
        }
      }
      assertThat(raw).as("fields holding a raw control character").isEmpty();
    }
    assertThat(s.http.get("/api/audit?tail=true&limit=20", auditor).body())
        .contains("THROTTLED").contains("esc\\\\u001b[2J");
  }

  /**
   * SRC-3, issue 10 finding 6: CEF and syslog escaped only backslash, equals, CR and LF, so an
   * ESC sequence went out raw. A row holding raw controls (as rows stored before the fix may)
   * leaves every export format escaped; JSON keeps the exact value.
   */
  @Test
  @DisplayName("SRC-3 every export format escapes every control character")
  void export_rawControlsInStoredRow_escapedInEveryFormat() throws Exception {
    try (Connection c = s.db()) {
      String old = one(c, "SELECT detail FROM audit_log WHERE seq = 2");
      exec(c, "UPDATE audit_log SET detail = ? WHERE seq = 2", CONTROLS);
      try {
        for (String format : List.of("jsonl", "cef", "syslog")) {
          Http.Response r = s.http.get("/api/audit/export?format=" + format, auditor);
          assertThat(r.status()).isEqualTo(200);
          String body = r.body();
          int line = 0;
          for (String l : body.split("\n", -1)) {
            line++;
            int bad = l.codePoints().filter(AuditChainTest::isControl).findFirst().orElse(-1);
            assertThat(bad).as("%s line %d: U+%04X in %s", format, line, bad, l).isEqualTo(-1);
          }
          if (format.equals("jsonl")) {
            JsonNode row2 = new Http.Response(200, body.lines().toList().get(1)).json();
            assertThat(row2.path("detail").asText()).isEqualTo(CONTROLS);
          } else {
            assertThat(body).contains("esc\\\\u001b[2J");
          }
        }
      } finally {
        exec(c, "UPDATE audit_log SET detail = ? WHERE seq = 2", old);
      }
    }
  }

  private static String one(Connection c, String sql) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String[] row(Connection c, long seq) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT occurred_at, actor, action, target,"
        + " outcome, detail, remote, prev_hash, hash FROM audit_log WHERE seq = ?")) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        String[] r = new String[9];
        for (int i = 0; i < 9; i++) {
          r[i] = rs.getString(i + 1);
        }
        return r;
      }
    }
  }

  private static void insert(Connection c, long seq, String[] r) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_log (seq, occurred_at,"
        + " actor, action, target, outcome, detail, remote, prev_hash, hash)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, seq);
      for (int i = 0; i < 9; i++) {
        ps.setString(i + 2, r[i]);
      }
      ps.executeUpdate();
    }
  }

  private static void exec(Connection c, String sql, Object... params) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    }
  }
}
