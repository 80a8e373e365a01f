package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
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
    try (Connection c = s.db();
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
    try (Connection c = s.db();
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

  static final String WRONG_LOGIN_BODY = "wrong user name or password";

  /** Clears the loopback address's budget (in the database), so later tests can log in. */
  static void resetAddressBudget() throws Exception {
    try (Connection c = s.db(); var st = c.createStatement()) {
      st.executeUpdate("DELETE FROM login_addresses");
    }
  }

  /** {@code n} calls released at once from {@code n} threads. */
  static List<Http.Response> parallel(int n, IntFunction<Http.Response> call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch gate = new CountDownLatch(1);
      List<Future<Http.Response>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        fs.add(pool.submit(() -> {
          gate.await();
          return call.apply(k);
        }));
      }
      gate.countDown();
      List<Http.Response> rs = new ArrayList<>();
      for (Future<Http.Response> f : fs) {
        rs.add(f.get(120, TimeUnit.SECONDS));
      }
      return rs;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Audit rows of {@code action} on {@code target} whose detail contains {@code detail}. */
  static long auditRows(String action, String target, String detail) {
    JsonNode rows = s.http.get("/api/audit?tail=true&limit=10000", s.adminToken()).json();
    long n = 0;
    for (JsonNode r : rows) {
      if (r.path("action").asText().equals(action) && r.path("target").asText().equals(target)
          && r.path("detail").asText().contains(detail)) {
        n++;
      }
    }
    return n;
  }

  static Http.Response login(String user, String password) {
    return s.http.post("/api/auth/login", null, Map.of("username", user, "password", password));
  }

  @Test
  @DisplayName("SRC-1 login: 5 wrong passwords lock the account; locked answers like wrong")
  void login_bruteForce_lockedAnswersLikeWrongPassword() throws Exception {
    createUser("target", "target-password", "operator");
    createUser("bystander", "bystander-password", "operator");
    resetAddressBudget();
    try {
      Http.Response wrong = null;
      for (int i = 0; i < 5; i++) {
        wrong = login("target", "guess-number-" + i);
        assertThat(wrong.status()).isEqualTo(401);
      }
      // The right password no longer helps while the account is locked, and the answer does
      // not say so: the same status and body as a wrong password, so names cannot be probed.
      Http.Response r = login("target", "target-password");
      assertThat(r.status()).as("%s", r).isEqualTo(401);
      assertThat(r.body()).isEqualTo(wrong.body()).contains(WRONG_LOGIN_BODY);
      assertThat(lastAudit()).contains("THROTTLED").contains("account locked");
      // Nor does its timing: a locked account still costs one Argon2 hash (tens of ms), where
      // an early refusal would take a few ms. Medians, and a wide margin, for a busy machine.
      long[] locked = new long[5];
      long[] unlocked = new long[5];
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        login("target", "target-password");
        locked[i] = System.nanoTime() - t0;
        t0 = System.nanoTime();
        login("bystander", "not-the-password-" + i % 2);
        unlocked[i] = System.nanoTime() - t0;
        if (i % 2 == 1) {
          s.http.login("bystander", "bystander-password"); // keep the bystander unlocked
        }
      }
      java.util.Arrays.sort(locked);
      java.util.Arrays.sort(unlocked);
      assertThat(locked[2]).as("median ns locked vs wrong password %s", unlocked[2])
          .isGreaterThan(unlocked[2] / 3);
    } finally {
      resetAddressBudget();
    }
  }

  /**
   * SRC-1, issue 10 finding 2: thirty wrong passwords at once used to read the same failure
   * count, each write it back as 1, and leave the account open; the address budget was checked
   * before and charged after the hash. Now each attempt is charged before its hash.
   */
  @Test
  @DisplayName("SRC-1 login: 30 parallel wrong passwords lock the account within the budget")
  void login_parallelWrongPasswords_lockAccountWithinBudget() throws Exception {
    createUser("par-target", "par-target-password", "operator");
    resetAddressBudget();
    try {
      List<Http.Response> rs = parallel(30, i -> login("par-target", "parallel-guess-" + i));
      assertThat(rs).allMatch(r -> r.status() == 401 || r.status() == 429, "401 or 429");
      assertThat(rs.stream().filter(r -> r.status() == 401).count())
          .as("password checks the address budget admitted").isLessThanOrEqualTo(20);
      assertThat(auditRows("LOGIN", "user par-target", "wrong password"))
          .as("passwords actually checked").isBetween(1L, 5L);
      // Every 401, checked or locked, reads the same.
      assertThat(rs.stream().filter(r -> r.status() == 401).map(Http.Response::body).distinct())
          .hasSize(1);
      resetAddressBudget();
      Http.Response right = login("par-target", "par-target-password");
      assertThat(right.status()).as("locked: %s", right).isEqualTo(401);
      assertThat(right.body()).contains(WRONG_LOGIN_BODY);
    } finally {
      resetAddressBudget();
    }
  }

  @Test
  @DisplayName("SRC-1 login: 30 parallel guesses from one address check at most 20 passwords")
  void login_parallelGuessesFromOneAddress_atMostTwentyChecked() throws Exception {
    resetAddressBudget();
    try {
      List<Http.Response> rs = parallel(30, i -> login("nobody-" + i, "parallel-guess-" + i));
      long checked = 0;
      for (int i = 0; i < 30; i++) {
        checked += auditRows("LOGIN", "user nobody-" + i, "no such user");
      }
      assertThat(checked).as("passwords checked").isLessThanOrEqualTo(20);
      assertThat(rs.stream().filter(r -> r.status() == 429).count()).isGreaterThanOrEqualTo(10);
      Http.Response r = rs.stream().filter(x -> x.status() == 429).findFirst().orElseThrow();
      assertThat(r.body()).contains("from this address; try again in");
      // Throttled: even the right password of an existing account is not checked now.
      assertThat(login("admin", TestServer.ADMIN_PASSWORD).status()).isEqualTo(429);
    } finally {
      resetAddressBudget();
    }
  }

  @Test
  @DisplayName("SRC-1 login: an admin's enable clears a lock; a locked account's tokens work")
  void login_lockedAccount_enableByAdminClearsIt() throws Exception {
    String token = createUser("locked-out", "locked-out-password", "auditor");
    resetAddressBudget();
    try {
      for (int i = 0; i < 6; i++) {
        login("locked-out", "not-the-password-" + i);
      }
      assertThat(login("locked-out", "locked-out-password").status()).isEqualTo(401);
      assertThat(s.http.get("/api/audit?limit=1", token).status()).isEqualTo(200);
      assertThat(s.http.post("/api/users/locked-out/enable", s.adminToken(), null).status())
          .isEqualTo(200);
      assertThat(lastAudit()).contains("USER_ENABLE").contains("login lock cleared");
      s.http.login("locked-out", "locked-out-password");
    } finally {
      resetAddressBudget();
    }
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

  /**
   * SRC-1: the documented way back in for an admin locked out on purpose when no other admin
   * can log in: a start with NEGUARD_UNLOCK_USER clears that lock, recorded as the system's.
   */
  @Test
  @DisplayName("SRC-1 login: NEGUARD_UNLOCK_USER at start clears a lock, audited")
  void unlockAtStart_lockedAdmin_getsInAndIsRecorded() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("neguard-unlock-");
    try {
      java.nio.file.Path pw = dir.resolve("admin-password");
      java.nio.file.Files.writeString(pw, TestServer.ADMIN_PASSWORD + "\n");
      try (ServerProcess p = ServerProcess.start(dir.resolve("data"), pw)) {
        Http h = new Http(p.url);
        for (int i = 0; i < 5; i++) {
          h.post("/api/auth/login", null, Map.of("username", "admin", "password", "guess-" + i));
        }
        assertThat(h.post("/api/auth/login", null, Map.of("username", "admin",
            "password", TestServer.ADMIN_PASSWORD)).status()).isEqualTo(401);
        p.kill9();
      }
      try (ServerProcess p = ServerProcess.start(dir.resolve("data"), pw,
          Map.of("NEGUARD_UNLOCK_USER", "admin"))) {
        Http h = new Http(p.url);
        String token = h.login("admin", TestServer.ADMIN_PASSWORD);
        String audit = h.get("/api/audit?tail=true&limit=10", token).body();
        assertThat(audit).contains("\"actor\":\"system\",\"action\":\"USER_UNLOCK\"")
            .contains("NEGUARD_UNLOCK_USER");
      }
    } finally {
      TestServer.delete(dir);
    }
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
  void password_change_oldOneStopsWorking() throws Exception {
    String token = createUser("mover", "mover-password-1", "operator");
    Http.Response wrong = s.http.send("PUT", "/api/auth/password", token,
        "{\"oldPassword\":\"not-it-at-all\",\"newPassword\":\"mover-password-2\"}");
    assertThat(wrong.status()).isEqualTo(403);
    Http.Response ok = s.http.send("PUT", "/api/auth/password", token,
        "{\"oldPassword\":\"mover-password-1\",\"newPassword\":\"mover-password-2\"}");
    assertThat(ok.status()).as("%s", ok).isEqualTo(200);
    assertThat(login("mover", "mover-password-1").status()).isEqualTo(401);
    s.http.login("mover", "mover-password-2");
    resetAddressBudget();
  }

  /**
   * SRC-1, issue 10 finding 7: with a stolen token, twelve wrong current passwords used to be
   * free, the thirteenth changing it. Now the change is throttled on the login counter.
   */
  @Test
  @DisplayName("SRC-1 password change: wrong current passwords are throttled like logins")
  void passwordChange_guessedInParallel_throttledLikeLogin() throws Exception {
    String token = createUser("pw-victim", "pw-victim-password", "operator");
    resetAddressBudget();
    try {
      List<Http.Response> rs = parallel(12, i -> s.http.send("PUT", "/api/auth/password", token,
          "{\"oldPassword\":\"guess-" + i + "-xxxxxxx\",\"newPassword\":\"stolen-password-1\"}"));
      assertThat(rs).allMatch(r -> r.status() == 403 || r.status() == 429, "403 or 429");
      assertThat(auditRows("PASSWORD_CHANGE", "user pw-victim", "wrong current password"))
          .as("current passwords actually checked").isBetween(1L, 5L);
      Http.Response right = s.http.send("PUT", "/api/auth/password", token,
          "{\"oldPassword\":\"pw-victim-password\",\"newPassword\":\"stolen-password-1\"}");
      assertThat(right.status()).as("%s", right).isEqualTo(429);
      assertThat(right.code()).isEqualTo("NOT_AUTHENTICATED");
      assertThat(right.body()).contains("try again in");
      assertThat(lastAudit()).contains("PASSWORD_CHANGE").contains("THROTTLED");
    } finally {
      resetAddressBudget();
    }
    // Unchanged: once an admin clears the lock, the old password is still the password.
    assertThat(s.http.post("/api/users/pw-victim/enable", s.adminToken(), null).status())
        .isEqualTo(200);
    s.http.login("pw-victim", "pw-victim-password");
  }

  @Test
  @DisplayName("SRC-1 password change: the user's other tokens stop working")
  void passwordChange_endsOtherTokens() {
    String first = createUser("rotator", "rotator-password-1", "operator");
    String second = s.http.login("rotator", "rotator-password-1");
    Http.Response minted = s.http.post("/api/tokens", second, Map.of("name", "script"));
    assertThat(minted.status()).isEqualTo(201);
    String script = minted.json().path("token").asText();
    Http.Response ok = s.http.send("PUT", "/api/auth/password", first,
        "{\"oldPassword\":\"rotator-password-1\",\"newPassword\":\"rotator-password-2\"}");
    assertThat(ok.status()).as("%s", ok).isEqualTo(200);
    for (String old : List.of(second, script)) {
      Http.Response r = s.http.get("/api/packages", old);
      assertThat(r.status()).as("%s", r).isEqualTo(401);
      assertThat(r.body()).contains("revoked");
    }
    assertThat(s.http.get("/api/packages", first).status()).isEqualTo(200);
    assertThat(lastAudit()).contains("2 other token(s) revoked");
  }

  /** SRC-1, issue 10 finding 7: any token could mint a 366-day token. */
  @Test
  @DisplayName("SRC-1 tokens: a token mints nothing that outlives it")
  void tokenMint_longerThanMintingToken_cappedAtItsExpiry() {
    createUser("minter", "minter-password-1", "operator");
    Http.Response login = s.http.post("/api/auth/login", null,
        Map.of("username", "minter", "password", "minter-password-1", "ttlHours", 2));
    assertThat(login.status()).isEqualTo(200);
    String token = login.json().path("token").asText();
    Instant cap = Instant.parse(login.json().path("expiresAt").asText());
    for (Map<String, Object> ask : List.of(Map.<String, Object>of("ttlHours", 8784),
        Map.<String, Object>of("ttlHours", 3), Map.<String, Object>of("name", "default-ttl"))) {
      Http.Response r = s.http.post("/api/tokens", token, ask);
      assertThat(r.status()).as("%s", r).isEqualTo(201);
      assertThat(Instant.parse(r.json().path("expiresAt").asText())).as("%s", ask)
          .isBeforeOrEqualTo(cap);
      // What the server enforces, not only what it says: the stored expiry.
      String id = r.json().path("id").asText();
      JsonNode stored = s.http.get("/api/tokens", token).json();
      for (JsonNode t : stored) {
        if (t.path("id").asText().equals(id)) {
          assertThat(Instant.parse(t.path("expiresAt").asText())).isBeforeOrEqualTo(cap);
        }
      }
    }
    Http.Response one = s.http.post("/api/tokens", token, Map.of("ttlHours", 1));
    Instant oneHour = Instant.parse(one.json().path("expiresAt").asText());
    assertThat(oneHour).isBefore(cap);
    // Nor through a chain: a minted token's own mint is cut to the minted token's expiry.
    String child = one.json().path("token").asText();
    Http.Response grandchild = s.http.post("/api/tokens", child, Map.of("ttlHours", 8784));
    assertThat(Instant.parse(grandchild.json().path("expiresAt").asText()))
        .isBeforeOrEqualTo(oneHour);
    assertThat(lastAudit()).contains("capped at the expiry of token");
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
