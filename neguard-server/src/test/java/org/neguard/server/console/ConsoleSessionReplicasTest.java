package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.server.Http;
import org.neguard.server.PostgresReplicas;
import org.neguard.server.TestServer.Role;

/**
 * Two replicas on one PostgreSQL behind a balancer that is not sticky, after login too: the
 * console's sessions are rows of the database ({@link ConsoleSessions}, table {@code
 * console_sessions}), so a session made on one replica serves pages and forms (its CSRF token is
 * in the row too) on the other, and ends on both by logout or a disabled account. The balancer
 * is this test: one cookie jar, each request sent to the replica it names.
 */
@DisplayName("SRC-1 SRC-3 console sessions in the database: any replica serves a session")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleSessionReplicasTest {
  static PostgresReplicas replicas;

  @BeforeAll
  static void start() throws Exception {
    replicas = PostgresReplicas.start("neguard_sessions_", Role.AUDITOR, Role.APPROVER);
  }

  @AfterAll
  static void stop() throws Exception {
    if (replicas != null) {
      replicas.close();
    }
  }

  /** One browser behind the balancer: its requests to replica A and to B, one cookie jar. */
  record Visitor(ConsoleSession onA, ConsoleSession onB) {
    static Visitor open() {
      CookieManager jar = new CookieManager();
      return new Visitor(new ConsoleSession(replicas.a(), jar),
          new ConsoleSession(replicas.b(), jar));
    }

    /** Signs in on A as {@code role}'s user; the session id (not the cookie's base64). */
    String signInOnA(Role role) {
      HttpResponse<String> r = onA.login(ConsoleSecurityTest.user(role),
          ConsoleSecurityTest.password(role));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
      assertThat(ConsoleSession.location(r)).isEqualTo("/console");
      return sessionId(onA.sessionId());
    }
  }

  @Test
  @Order(1)
  @DisplayName("SRC-1 signed in on replica A: replica B serves a page and takes a form with the"
      + " token of A's page, A takes B's; a made-up token refused by both")
  void session_signedInOnA_pageAndCsrfFormOnB() throws Exception {
    long before = sessionRows();
    Visitor browser = Visitor.open();
    String id = browser.signInOnA(Role.AUDITOR);
    assertThat(sessionRows()).isEqualTo(before + 1);
    Map<String, Object> row = replicas.rows(
        "SELECT principal_name, max_inactive_interval FROM console_sessions WHERE session_id = ?",
        id).get(0);
    assertThat(row.get("principal_name").toString().trim())
        .isEqualTo(ConsoleSecurityTest.user(Role.AUDITOR));
    assertThat(row.get("max_inactive_interval")).as("30 minutes idle").isEqualTo(1800);

    HttpResponse<String> page = browser.onB().get("/console/devices");
    assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
    // The form's token comes from one replica's page and is checked by the other: the session's
    // CSRF token is in the row, read back by whichever replica takes the form.
    String tokenFromA = browser.onA().csrf("/console/audit");
    HttpResponse<String> onB = browser.onB().postRaw("/console/audit/verify",
        Map.of("_csrf", tokenFromA));
    assertThat(onB.statusCode()).as(onB.body()).isEqualTo(200);
    assertThat(onB.body()).contains("id=\"verdict\">intact");
    String tokenFromB = browser.onB().csrf("/console/audit");
    assertThat(browser.onA().postRaw("/console/audit/verify", Map.of("_csrf", tokenFromB))
        .statusCode()).isEqualTo(200);
    for (ConsoleSession replica : List.of(browser.onA(), browser.onB())) {
      assertThat(replica.postRaw("/console/audit/verify", Map.of("_csrf", "made-up"))
          .statusCode()).isEqualTo(403);
    }
    assertThat(sessionRows()).as("still the one session").isEqualTo(before + 1);
    assertThat(sessionId(browser.onA().sessionId())).isEqualTo(id);
  }

  @Test
  @Order(2)
  @DisplayName("SRC-1 logout on replica B ends the session made on A: its row deleted, A sends the"
      + " old cookie to log in")
  void logout_onB_endsSessionOnA() throws Exception {
    Visitor browser = Visitor.open();
    String id = browser.signInOnA(Role.AUDITOR);
    String cookie = browser.onA().sessionId();
    HttpResponse<String> out = browser.onB().post("/console", "/console/logout", Map.of());
    assertThat(out.statusCode()).as(out.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(out)).isEqualTo("/console/login?logout");
    assertThat(rowsOf(id)).isZero();
    for (URI replica : replicas.both()) {
      assertSentToLogin(get(replica, "/console/devices", cookie), replica);
    }
  }

  @Test
  @Order(3)
  @DisplayName("SRC-1 a disabled account's sessions end on both replicas at their next request,"
      + " whichever replica made them")
  void disabledAccount_sessionsEndOnBothReplicas() throws Exception {
    Visitor first = Visitor.open();
    String madeOnA = first.signInOnA(Role.APPROVER);
    Visitor second = Visitor.open();
    HttpResponse<String> in = second.onB().login(ConsoleSecurityTest.user(Role.APPROVER),
        ConsoleSecurityTest.password(Role.APPROVER));
    assertThat(in.statusCode()).isEqualTo(302);
    String madeOnB = sessionId(second.onB().sessionId());
    assertThat(first.onB().get("/console/devices").statusCode()).isEqualTo(200);
    assertThat(second.onA().get("/console/devices").statusCode()).isEqualTo(200);

    Http.Response disabled = new Http(replicas.b()).post("/api/users/"
        + ConsoleSecurityTest.user(Role.APPROVER) + "/disable", replicas.first().adminToken(), null);
    assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
    // Each session's next request, on the replica that did not make it, is sent to log in and
    // deletes the row.
    assertSentToLogin(first.onB().get("/console/devices"), replicas.b());
    assertSentToLogin(second.onA().get("/console/devices"), replicas.a());
    assertThat(rowsOf(madeOnA)).isZero();
    assertThat(rowsOf(madeOnB)).isZero();
    assertSentToLogin(first.onA().get("/console/devices"), replicas.a());
  }

  @Test
  @Order(4)
  @DisplayName("HRD-6 SRC-1 anonymous GETs, a failed login and API calls (with a bearer token or"
      + " a console cookie) create no session row on either replica")
  void anonymousAndApiRequests_createNoSessionRow() throws Exception {
    Visitor signedIn = Visitor.open();
    signedIn.signInOnA(Role.AUDITOR);
    String cookie = signedIn.onA().sessionId();
    long before = sessionRows();
    for (URI replica : replicas.both()) {
      for (int i = 0; i < 100; i++) {
        assertThat(get(replica, "/console/login", null).statusCode()).isEqualTo(200);
      }
      ConsoleSession stranger = new ConsoleSession(replica);
      assertThat(stranger.get("/console/devices").statusCode()).isEqualTo(302);
      assertThat(stranger.login("nobody", "wrong-password-here").statusCode()).isEqualTo(302);
      assertThat(stranger.sessionId()).isNull();
      Http api = new Http(replica);
      assertThat(api.get("/api/users", replicas.first().adminToken()).status()).isEqualTo(200);
      assertThat(api.login(ConsoleSecurityTest.user(Role.AUDITOR),
          ConsoleSecurityTest.password(Role.AUDITOR))).isNotBlank();
      // The console's cookie sent to the API: refused there, and no row made.
      assertThat(send(HttpRequest.newBuilder(replica.resolve("/api/users"))
          .header("Cookie", "NEGUARD_CONSOLE=" + cookie).GET().build()).statusCode())
          .isEqualTo(401);
      assertThat(send(HttpRequest.newBuilder(replica.resolve("/api/users"))
          .header("Authorization", "Bearer " + replicas.first().adminToken())
          .header("Cookie", "NEGUARD_CONSOLE=" + base64(UUID.randomUUID().toString())).GET()
          .build()).statusCode()).isEqualTo(200);
      assertThat(get(replica, "/actuator/health", null).statusCode()).isEqualTo(200);
    }
    assertThat(sessionRows()).isEqualTo(before);
  }

  @Test
  @Order(5)
  @DisplayName("SRC-1 a session cookie that is no known session (unknown, malformed, NUL bytes,"
      + " huge): sent to log in by both replicas, the API unaffected; never a 500 or a stack"
      + " trace")
  void sessionCookie_unknownOrMalformed_sentToLogin_noError() throws Exception {
    long before = sessionRows();
    List<String> values = List.of(
        base64(UUID.randomUUID().toString()), // a session id of the right shape, never issued
        UUID.randomUUID().toString(), // not base64
        base64("\0".repeat(36)), // NUL bytes: PostgreSQL refuses them in a text parameter
        base64("' OR '1'='1"), base64("x".repeat(36)), "%%%", "",
        base64(UUID.randomUUID() + "\0"),
        "A".repeat(6000), base64("\0".repeat(4000)));
    for (URI replica : replicas.both()) {
      for (String v : values) {
        String shown = v.length() > 40 ? v.substring(0, 40) + "..." : v;
        HttpResponse<String> page = get(replica, "/console/devices", v);
        assertSentToLogin(page, replica);
        assertThat(page.body()).as(shown).doesNotContain("Exception").doesNotContain("at org.");
        HttpResponse<String> form = send(HttpRequest.newBuilder(
                replica.resolve("/console/audit/verify"))
            .header("Cookie", "NEGUARD_CONSOLE=" + v)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("_csrf=x")).build());
        // A cookie of a session id's shape names a session that ended: sent to log in, as a
        // form of an expired session is; any other value names none: the CSRF filter's 403.
        if (form.statusCode() == 302) {
          assertSentToLogin(form, replica);
        } else {
          assertThat(form.statusCode()).as(shown).isEqualTo(403);
        }
        HttpResponse<String> api = send(HttpRequest.newBuilder(replica.resolve("/api/users"))
            .header("Authorization", "Bearer " + replicas.first().adminToken())
            .header("Cookie", "NEGUARD_CONSOLE=" + v).GET().build());
        assertThat(api.statusCode()).as(shown).isEqualTo(200);
      }
    }
    assertThat(sessionRows()).isEqualTo(before);
  }

  @Test
  @Order(6)
  @DisplayName("SRC-1 a session attribute of a class a session never holds is not deserialized"
      + " (written into the table by whoever can write it): sent to log in")
  void sessionAttribute_foreignClass_neverDeserialized_sentToLogin() throws Exception {
    Visitor browser = Visitor.open();
    String id = browser.signInOnA(Role.AUDITOR);
    assertThat(replicas.update(
        "UPDATE console_sessions_attributes SET attribute_bytes = ? WHERE attribute_name ="
            + " 'SPRING_SECURITY_CONTEXT' AND session_primary_id = (SELECT primary_id FROM"
            + " console_sessions WHERE session_id = ?)",
        ConsoleSessionsTest.WRITE.convert(new ConsoleSessionsTest.Tripwire()), id)).isEqualTo(1);
    assertSentToLogin(browser.onB().get("/console/devices"), replicas.b());
    assertSentToLogin(browser.onA().get("/console/devices"), replicas.a());
    assertThat(ConsoleSessionsTest.Tripwire.READ).as("the stored object's readObject ran")
        .isFalse();
  }

  @Test
  @Order(7)
  @DisplayName("SRC-1 an expired session: presented, sent to log in and its row deleted; never"
      + " presented again, deleted by the replicas' cleanup within a minute")
  void expiredSession_deletedWhenPresentedAndByCleanup() throws Exception {
    Visitor live = Visitor.open();
    String liveId = live.signInOnA(Role.AUDITOR);
    Visitor presented = Visitor.open();
    String presentedId = presented.signInOnA(Role.AUDITOR);
    Visitor forgotten = Visitor.open();
    String forgottenId = forgotten.signInOnA(Role.AUDITOR);
    for (String id : List.of(presentedId, forgottenId)) {
      expire(id);
    }
    assertSentToLogin(presented.onB().get("/console/devices"), replicas.b());
    assertThat(rowsOf(presentedId)).isZero();
    // Spring Session's cleanup runs at each minute's second 0 on every replica.
    long deadline = System.nanoTime() + 75_000_000_000L;
    while (rowsOf(forgottenId) > 0 && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    assertThat(rowsOf(forgottenId)).as("expired row left by the cleanup").isZero();
    assertThat(attributeRowsOfGoneSessions()).isZero();
    assertThat(rowsOf(liveId)).as("a live session is kept").isEqualTo(1);
    assertThat(live.onB().get("/console/devices").statusCode()).isEqualTo(200);
  }

  static void assertSentToLogin(HttpResponse<String> r, URI replica) {
    assertThat(r.statusCode()).as("%s: %s", replica, r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).as(replica.toString()).endsWith("/console/login");
  }

  /** A GET of {@code path} on {@code replica} with the session cookie {@code cookie}, if any. */
  static HttpResponse<String> get(URI replica, String path, String cookie) {
    HttpRequest.Builder r = HttpRequest.newBuilder(replica.resolve(path)).GET();
    if (cookie != null) {
      r.header("Cookie", "NEGUARD_CONSOLE=" + cookie);
    }
    return send(r.build());
  }

  /** The session id a cookie value names (Spring Session writes it base64-encoded). */
  static String sessionId(String cookie) {
    assertThat(cookie).as("no session cookie").isNotNull();
    return new String(Base64.getDecoder().decode(cookie), StandardCharsets.US_ASCII);
  }

  static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static long sessionRows() throws Exception {
    return count("SELECT count(*) FROM console_sessions");
  }

  static long rowsOf(String sessionId) throws Exception {
    return count("SELECT count(*) FROM console_sessions WHERE session_id = ?", sessionId);
  }

  static long attributeRowsOfGoneSessions() throws Exception {
    return count("SELECT count(*) FROM console_sessions_attributes x WHERE NOT EXISTS"
        + " (SELECT 1 FROM console_sessions s WHERE s.primary_id = x.session_primary_id)");
  }

  static long count(String sql, Object... args) throws Exception {
    return replicas.count(sql, args);
  }

  /** Makes session {@code id} as a session idle for 31 minutes is: expired a minute ago. */
  static void expire(String id) throws Exception {
    long now = System.currentTimeMillis();
    assertThat(replicas.update(
        "UPDATE console_sessions SET last_access_time = ?, expiry_time = ? WHERE session_id = ?",
        now - 31 * 60_000L, now - 60_000L, id)).isEqualTo(1);
  }

  private static HttpResponse<String> send(HttpRequest r) {
    return PostgresReplicas.send(r);
  }
}
