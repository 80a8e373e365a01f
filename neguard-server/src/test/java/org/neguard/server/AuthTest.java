package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestServer.Role;

/**
 * Accounts, tokens and login (SRC-1): expired, revoked and disabled-user tokens are refused and
 * recorded; login is throttled; passwords are stored as Argon2id; injection attempts in every
 * text field are stored as text or refused, never executed.
 */
@DisplayName("SRC-1 accounts, tokens, login")
class AuthTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  static Connection db() throws Exception {
    return DriverManager.getConnection(NeguardServer.embeddedUrl(s.data().resolve("db")), "sa", "");
  }

  static String createUser(String name, String password, String... roles) {
    Http.Response r = s.http.post("/api/users", s.adminToken(),
        Map.of("username", name, "password", password, "roles", List.of(roles)));
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    return s.http.login(name, password);
  }

  static String lastAudit() {
    return s.http.get("/api/audit?tail=true&limit=3", s.adminToken()).body();
  }

  @Test
  void token_issuedShownOnceStoredHashed() throws Exception {
    String token = createUser("hashed", "hashed-password-1", "operator");
    Http.Response list = s.http.get("/api/tokens", token);
    assertThat(list.body()).doesNotContain(token.substring(20)).doesNotContain("\"token\":\"ngt_");
    try (Connection c = db();
        var rs = c.createStatement().executeQuery(
            "SELECT t.secret_sha256, u.password_hash FROM api_tokens t JOIN users u"
                + " ON u.id = t.user_id WHERE u.username = 'hashed'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).hasSize(64).isNotEqualTo(token.substring(20));
      assertThat(rs.getString(2)).startsWith("$argon2id$").doesNotContain("hashed-password-1");
    }
  }

  @Test
  void token_expired_refusedAndRecorded() throws Exception {
    String token = createUser("expiring", "expiring-password", "auditor");
    assertThat(s.http.get("/api/audit", token).status()).isEqualTo(200);
    try (Connection c = db();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE api_tokens SET expires_at = DATEADD('MINUTE', -1, CURRENT_TIMESTAMP) WHERE id = ?")) {
      ps.setString(1, token.substring(4, 20));
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
    Http.Response r = s.http.get("/api/audit", token);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.code()).isEqualTo("NOT_AUTHENTICATED");
    assertThat(r.body()).contains("expired");
    assertThat(lastAudit()).contains("AUTHENTICATE").contains("expired");
  }

  @Test
  void token_revoked_refused() {
    String login = createUser("revoker", "revoker-password", "operator");
    Http.Response issued = s.http.post("/api/tokens", login, Map.of("name", "script", "ttlHours", 2));
    assertThat(issued.status()).isEqualTo(201);
    String script = issued.json().path("token").asText();
    assertThat(s.http.get("/api/packages", script).status()).isEqualTo(200);
    Http.Response revoke = s.http.send("DELETE", "/api/tokens/" + issued.json().path("id").asText(),
        login, null);
    assertThat(revoke.status()).as("%s", revoke).isEqualTo(200);
    Http.Response r = s.http.get("/api/packages", script);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body()).contains("revoked");
    assertThat(s.http.get("/api/packages", login).status()).isEqualTo(200);
  }

  @Test
  void token_ofOtherUser_cannotBeRevokedByNonAdmin() {
    String a = createUser("owner-a", "owner-a-password", "operator");
    String b = createUser("owner-b", "owner-b-password", "operator");
    String id = a.substring(4, 20);
    assertThat(s.http.send("DELETE", "/api/tokens/" + id, b, null).status()).isEqualTo(404);
    assertThat(s.http.get("/api/packages", a).status()).isEqualTo(200);
    assertThat(s.http.get("/api/tokens?all=true", b).status()).isEqualTo(403);
  }

  @Test
  void token_ofDisabledUser_refusedUntilEnabled() {
    String token = createUser("leaver", "leaver-password", "publisher");
    assertThat(s.http.post("/api/users/leaver/disable", s.adminToken(), null).status())
        .isEqualTo(200);
    Http.Response r = s.http.get("/api/packages", token);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body()).contains("disabled");
    Http.Response login = s.http.post("/api/auth/login", null,
        Map.of("username", "leaver", "password", "leaver-password"));
    assertThat(login.status()).isEqualTo(401);
    assertThat(s.http.post("/api/users/leaver/enable", s.adminToken(), null).status())
        .isEqualTo(200);
    assertThat(s.http.get("/api/packages", token).status()).isEqualTo(200);
  }

  @Test
  void token_malformedOrForged_refused() {
    for (String bad : List.of("x", "ngt_" + "0".repeat(80), "ngt_' OR '1'='1",
        s.adminToken().substring(0, 83) + (s.adminToken().endsWith("0") ? "1" : "0"))) {
      Http.Response r = s.http.get("/api/users", bad);
      assertThat(r.status()).as(bad).isEqualTo(401);
    }
    Http.Response basic = s.http.send("GET", "/api/users", null, null);
    assertThat(basic.status()).isEqualTo(401);
  }

  @Test
  void login_bruteForce_throttled() {
    createUser("target", "target-password", "operator");
    for (int i = 0; i < 5; i++) {
      Http.Response r = s.http.post("/api/auth/login", null,
          Map.of("username", "target", "password", "guess-number-" + i));
      assertThat(r.status()).isEqualTo(401);
    }
    // The right password no longer helps while the account is locked.
    Http.Response r = s.http.post("/api/auth/login", null,
        Map.of("username", "target", "password", "target-password"));
    assertThat(r.status()).as("%s", r).isEqualTo(429);
    assertThat(r.body()).contains("too many failed logins");
    assertThat(lastAudit()).contains("THROTTLED");
  }

  @Test
  void login_wrongNameOrPassword_sameAnswer() {
    Http.Response noUser = s.http.post("/api/auth/login", null,
        Map.of("username", "nobody-here", "password", "some-password-1"));
    Http.Response wrongPw = s.http.post("/api/auth/login", null,
        Map.of("username", "admin", "password", "some-password-1"));
    assertThat(noUser.status()).isEqualTo(401);
    assertThat(wrongPw.status()).isEqualTo(401);
    assertThat(noUser.body()).isEqualTo(wrongPw.body());
  }

  @Test
  void users_weakPasswordOrUnknownRole_refused() {
    Http.Response weak = s.http.post("/api/users", s.adminToken(),
        Map.of("username", "weak", "password", "short", "roles", List.of("operator")));
    assertThat(weak.status()).isEqualTo(400);
    assertThat(weak.body()).contains("password must have");
    Http.Response role = s.http.post("/api/users", s.adminToken(),
        Map.of("username", "badrole", "password", "long-enough-pass", "roles", List.of("root")));
    assertThat(role.status()).isEqualTo(400);
    assertThat(role.body()).contains("unknown role");
    Http.Response none = s.http.post("/api/users", s.adminToken(),
        Map.of("username", "norole", "password", "long-enough-pass", "roles", List.of()));
    assertThat(none.status()).isEqualTo(400);
    Http.Response generated = s.http.post("/api/users", s.adminToken(),
        Map.of("username", "generated", "roles", List.of("auditor")));
    assertThat(generated.status()).isEqualTo(201);
    String pw = generated.json().path("password").asText();
    assertThat(pw).hasSizeGreaterThanOrEqualTo(20);
    s.http.login("generated", pw);
  }

  @Test
  void users_roleChange_takesEffectAtOnceAndIsRecorded() {
    String token = createUser("changer", "changer-password", "operator");
    assertThat(s.http.get("/api/audit", token).status()).isEqualTo(403);
    Http.Response r = s.http.send("PUT", "/api/users/changer/roles", s.adminToken(),
        "{\"roles\":[\"operator\",\"auditor\"]}");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(s.http.get("/api/audit", token).status()).isEqualTo(200);
    assertThat(lastAudit()).contains("USER_ROLES").contains("operator -> operator,auditor");
  }

  @Test
  void admin_cannotLockThemselvesOut() {
    assertThat(s.http.post("/api/users/admin/disable", s.adminToken(), null).status())
        .isEqualTo(400);
    assertThat(s.http.send("PUT", "/api/users/admin/roles", s.adminToken(),
        "{\"roles\":[\"auditor\"]}").status()).isEqualTo(400);
  }

  @Test
  void password_change_oldOneStopsWorking() {
    String token = createUser("mover", "mover-password-1", "operator");
    Http.Response wrong = s.http.send("PUT", "/api/auth/password", token,
        "{\"oldPassword\":\"not-it-at-all\",\"newPassword\":\"mover-password-2\"}");
    assertThat(wrong.status()).isEqualTo(403);
    Http.Response ok = s.http.send("PUT", "/api/auth/password", token,
        "{\"oldPassword\":\"mover-password-1\",\"newPassword\":\"mover-password-2\"}");
    assertThat(ok.status()).as("%s", ok).isEqualTo(200);
    assertThat(s.http.post("/api/auth/login", null,
        Map.of("username", "mover", "password", "mover-password-1")).status()).isEqualTo(401);
    s.http.login("mover", "mover-password-2");
  }

  @Test
  void hugeJsonBody_refusedWithoutBuffering() {
    String big = "{\"username\":\"admin\",\"password\":\"" + "x".repeat(2 << 20) + "\"}";
    Http.Response r = s.http.send("POST", "/api/auth/login", null, big);
    assertThat(r.status()).as("%s", r.body().length()).isEqualTo(413);
    assertThat(r.code()).isEqualTo("SIZE_LIMIT");
  }

  /** SQL and JSON injection in every text field: refused or stored as text, never executed. */
  @Test
  void injection_everyTextField_storedAsTextOrRefused() throws Exception {
    long usersBefore = s.http.get("/api/users", s.adminToken()).json().size();
    List<String> attacks = List.of(
        "x'; DROP TABLE users; --", "admin' OR '1'='1", "\"},{\"roles\":[\"admin\"]}",
        "'); DELETE FROM audit_log; --", "${jndi:ldap://127.0.0.1/x}", "robert\u0000tables");
    for (String a : attacks) {
      // User names have a strict alphabet: refused.
      Http.Response u = s.http.post("/api/users", s.adminToken(),
          Map.of("username", a, "password", "long-enough-pass", "roles", List.of("operator")));
      assertThat(u.status()).as(a).isEqualTo(400);
      // Login names and passwords: just a failed login.
      Http.Response l = s.http.post("/api/auth/login", null, Map.of("username", a, "password", a + "-pad-pad"));
      assertThat(l.status()).as(a).isIn(401, 429);
      // Path variables.
      assertThat(s.http.post("/api/users/" + java.net.URLEncoder.encode(a, "UTF-8")
          .replace("+", "%20") + "/disable", s.adminToken(), null).status()).as(a).isIn(400, 404);
    }
    // Free-text token names are stored verbatim.
    String token = createUser("injector", "injector-password", "operator");
    for (String a : attacks.subList(0, 5)) {
      Http.Response t = s.http.post("/api/tokens", token, Map.of("name", a));
      assertThat(t.status()).as("%s", t).isEqualTo(201);
      assertThat(t.json().path("name").asText()).isEqualTo(a);
    }
    JsonNode names = s.http.get("/api/tokens", token).json();
    assertThat(names.findValuesAsText("name")).containsAll(attacks.subList(0, 5));
    // Control characters in a name are refused.
    assertThat(s.http.post("/api/tokens", token, Map.of("name", attacks.get(5))).status())
        .isEqualTo(400);
    // JSON smuggling: extra fields are refused, not merged.
    Http.Response smuggle = s.http.send("POST", "/api/tokens", token,
        "{\"name\":\"x\",\"username\":\"admin\",\"roles\":[\"admin\"]}");
    assertThat(smuggle.status()).isEqualTo(400);
    assertThat(smuggle.body()).contains("unknown field");
    // Everything still there, chain intact.
    assertThat(s.http.get("/api/users", s.adminToken()).json().size()).isEqualTo(usersBefore + 1);
    JsonNode v = s.http.get("/api/audit/verify", s.adminToken()).json();
    assertThat(v.path("intact").asBoolean()).as("%s", v).isTrue();
  }
}
