package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.scanreport.EngineInfo;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.RbacWalkTest;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The console's security over plain HTTP against a real server (issue 18): sessions, CSRF,
 * headers, the split from the bearer-token API, redirects after login, escaping, and the console's
 * RBAC walk with a session per role.
 */
@DisplayName("SRC-1 SRC-3 console security")
class ConsoleSecurityTest {
  static TestServer s;
  static final Map<Role, ConsoleSession> sessions = new HashMap<>();

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

  static String password(Role r) {
    return r == Role.ADMIN ? TestServer.ADMIN_PASSWORD : "password-of-u-" + r.id();
  }

  static String user(Role r) {
    return r == Role.ADMIN ? "admin" : "u-" + r.id();
  }

  /** A signed-in session of a user with role {@code r}, one per role for the class. */
  static synchronized ConsoleSession session(Role r) {
    return sessions.computeIfAbsent(r, k -> {
      ConsoleSession c = new ConsoleSession(s.server.url());
      HttpResponse<String> login = c.login(user(k), password(k));
      assertThat(login.statusCode()).as(login.body()).isEqualTo(302);
      assertThat(ConsoleSession.location(login)).isEqualTo("/console");
      return c;
    });
  }

  @Test
  @DisplayName("SRC-1 a console page without a session: redirected to the login page")
  void page_withoutSession_redirectedToLogin() {
    long before = lastAudit();
    ConsoleSession c = new ConsoleSession(s.server.url());
    for (String page : List.of("/console", "/console/deployments", "/console/users",
        "/console/audit")) {
      HttpResponse<String> r = c.get(page);
      assertThat(r.statusCode()).as(page).isEqualTo(302);
      assertThat(ConsoleSession.location(r)).as(page).endsWith("/console/login");
    }
    // Each refusal is a row, as the API's 401s are (SRC-3).
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("GET /console/users").contains("the console needs a session");
  }

  @Test
  @DisplayName("SRC-1 a bearer token opens no console page")
  void page_withBearerToken_redirectedToLogin() {
    ConsoleSession c = new ConsoleSession(s.server.url());
    HttpResponse<String> r = c.get("/console/users",
        Map.of("Authorization", "Bearer " + s.adminToken()));
    assertThat(r.statusCode()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).endsWith("/console/login");
  }

  @Test
  @DisplayName("SRC-1 the API does not accept the console's session cookie")
  void api_withConsoleSessionCookie_notAuthenticated() {
    String id = session(Role.ADMIN).sessionId();
    assertThat(id).isNotNull();
    ConsoleSession other = new ConsoleSession(s.server.url());
    HttpResponse<String> r = other.get("/api/users", Map.of("Cookie", "NEGUARD_CONSOLE=" + id));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("NOT_AUTHENTICATED");
    // The same cookie does open the console: the refusal is the API's, not a dead session.
    HttpResponse<String> page = other.get("/console/users",
        Map.of("Cookie", "NEGUARD_CONSOLE=" + id));
    assertThat(page.statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("SRC-1 the session cookie: HttpOnly, SameSite=Strict, path /console; CSP and friends")
  void answers_carryCookieFlagsAndSecurityHeaders() {
    ConsoleSession c = new ConsoleSession(s.server.url());
    HttpResponse<String> r = c.get("/console/login");
    assertThat(r.statusCode()).isEqualTo(200);
    // Before login no session (HRD-6): the login form's token is in its own cookie.
    assertThat(r.headers().allValues("Set-Cookie"))
        .noneMatch(v -> v.startsWith("NEGUARD_CONSOLE="));
    String token = r.headers().allValues("Set-Cookie").stream()
        .filter(v -> v.startsWith(ConsoleCsrfTokens.COOKIE + "=")).findFirst().orElseThrow();
    HttpResponse<String> login = c.login(user(Role.AUDITOR), password(Role.AUDITOR));
    String cookie = login.headers().allValues("Set-Cookie").stream()
        .filter(v -> v.startsWith("NEGUARD_CONSOLE=")).findFirst().orElseThrow();
    for (String v : List.of(cookie, token)) {
      assertThat(v).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console")
          .doesNotContain("Secure"); // plain HTTP on loopback; Secure with TLS
    }
    assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue(ConsoleSecurity.CSP);
    assertThat(ConsoleSecurity.CSP).contains("script-src 'self'").contains("style-src 'self'")
        .contains("frame-ancestors 'none'").doesNotContain("unsafe");
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
    assertThat(r.body()).doesNotContain("<script>").doesNotContain("style=");
  }

  @Test
  @DisplayName("SRC-1 login changes the session id (no session fixation)")
  void login_changesSessionId() {
    // No session exists before login any more; a session id planted in the browser (one the
    // server never issued: Spring Session does not adopt it) is not the one login makes.
    ConsoleSession c = new ConsoleSession(s.server.url());
    String planted = "0123456789ABCDEF0123456789ABCDEF";
    c.get("/console/login");
    java.net.HttpCookie cookie = new java.net.HttpCookie("NEGUARD_CONSOLE", planted);
    cookie.setPath("/console");
    cookie.setVersion(0);
    c.cookies.getCookieStore().add(s.server.url(), cookie);
    assertThat(c.sessionId()).isEqualTo(planted);
    HttpResponse<String> login = c.login(user(Role.AUDITOR), password(Role.AUDITOR));
    assertThat(login.statusCode()).isEqualTo(302);
    String issued = login.headers().allValues("Set-Cookie").stream()
        .filter(v -> v.startsWith("NEGUARD_CONSOLE=")).findFirst().orElseThrow();
    assertThat(issued).doesNotContain(planted);
  }

  @Test
  @DisplayName("SRC-1 a form posted without its CSRF token is refused 403, and recorded")
  void form_withoutCsrfToken_refused() throws Exception {
    ConsoleSession c = session(Role.OPERATOR);
    long before = lastAudit();
    HttpResponse<String> r = c.postRaw("/console/deployments",
        Map.of("packageName", "app", "packageVersion", "1.0.0", "devices", "x"));
    assertThat(r.statusCode()).isEqualTo(403);
    HttpResponse<String> wrong = c.postRaw("/console/deployments",
        Map.of("packageName", "app", "packageVersion", "1.0.0", "_csrf", "forged"));
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("no valid CSRF token").contains("POST /console/deployments");
    // The login form too: no login CSRF.
    ConsoleSession fresh = new ConsoleSession(s.server.url());
    fresh.get("/console/login");
    HttpResponse<String> login = fresh.postRaw("/console/login",
        Map.of("username", "admin", "password", TestServer.ADMIN_PASSWORD));
    assertThat(login.statusCode()).isEqualTo(403);
  }

  @Test
  @DisplayName("SRC-1 an operator opening an admin page is refused 403, and recorded")
  void operator_adminPage_refused() {
    long before = lastAudit();
    HttpResponse<String> r = session(Role.OPERATOR).get("/console/users");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("NOT_AUTHORIZED").doesNotContain("u-operator</td>");
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("u-operator").contains("GET /console/users").contains("denied");
  }

  @Test
  @DisplayName("SRC-3 console login and its failure are audit rows")
  void login_successAndFailure_audited() {
    long before = lastAudit();
    ConsoleSession c = new ConsoleSession(s.server.url());
    HttpResponse<String> bad = c.login(user(Role.APPROVER), "wrong-password-here");
    assertThat(bad.statusCode()).isEqualTo(302);
    assertThat(ConsoleSession.location(bad)).endsWith("/console/login?error");
    assertThat(c.login(user(Role.APPROVER), password(Role.APPROVER)).statusCode())
        .isEqualTo(302);
    String audit = s.http.get("/api/audit?after=" + before, s.adminToken()).body();
    assertThat(audit).contains("wrong password").contains("console session started");
  }

  @Test
  @DisplayName("SRC-1 after login only a console path of this server is followed")
  void login_redirectsOnlyToConsolePaths() {
    ConsoleSession c = new ConsoleSession(s.server.url());
    assertThat(c.get("/console/devices?neType=mme").statusCode()).isEqualTo(302);
    HttpResponse<String> r = c.login(user(Role.AUDITOR), password(Role.AUDITOR));
    assertThat(ConsoleSession.location(r)).isEqualTo("/console/devices?neType=mme");
    assertThat(ConsoleSecurity.safeTarget("https://evil.example/console")).isEqualTo(
        "/console");
    assertThat(ConsoleSecurity.safeTarget("http://127.0.0.1:1/console/x?a=b"))
        .isEqualTo("/console/x?a=b");
    for (String bad : List.of("//evil.example/console", "/console//evil.example",
        "/consolex", "/api/users", "/console/../api/users", "/console/assets/console.css",
        "/console/login", "javascript:alert(1)", "/console\\evil", "http://[bad")) {
      assertThat(ConsoleSecurity.safeTarget(bad)).as(bad).isEqualTo("/console");
    }
  }

  @Test
  @DisplayName("SRC-1 after login a saved path a browser cannot open (a form's POST-only action)"
      + " leads to the page above it, the form's, never to a 405; a page is followed as it is")
  void login_savedFormAction_landsOnItsPage() {
    Map<String, String> landing = new java.util.LinkedHashMap<>();
    landing.put("/console/packages/upload", "/console/packages");
    landing.put("/console/deployments/7/approve", "/console/deployments/7");
    landing.put("/console/users/tokens/5/revoke?_csrf=x", "/console/users");
    landing.put("/console/audit/verify", "/console/audit");
    landing.put("/console/recoveries", "/console");
    landing.put("/console/packages/", "/console/packages");
    landing.put("/console/devices?neType=mme", "/console/devices?neType=mme");
    landing.forEach((saved, page) -> {
      ConsoleSession c = new ConsoleSession(s.server.url());
      assertThat(c.get(saved).statusCode()).as(saved).isEqualTo(302);
      HttpResponse<String> r = c.login(user(Role.ADMIN), password(Role.ADMIN));
      assertThat(ConsoleSession.location(r)).as(saved).isEqualTo(page);
      assertThat(c.get(page).statusCode()).as(saved).isNotEqualTo(405);
    });
  }

  @Test
  @DisplayName("SRC-1 a form posted after its session ended: sent to log in (recorded), nothing"
      + " done; after login the form's page (200), never a 405; a forged form stays 403")
  void form_afterSessionEnded_sentToLoginThenItsPage() throws Exception {
    ConsoleSession c = new ConsoleSession(s.server.url());
    assertThat(c.login(user(Role.AUDITOR), password(Role.AUDITOR)).statusCode()).isEqualTo(302);
    String token = c.csrf("/console/audit");
    String ended = c.sessionId();
    // The session ends as after 30 idle minutes: the server forgets it, the browser still has
    // its cookie and the page with its form.
    c.endOnServer(s.db());
    assertThat(c.sessionId()).isEqualTo(ended);
    long before = lastAudit();
    HttpResponse<String> r = c.postRaw("/console/audit/verify", Map.of("_csrf", token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).endsWith(ConsoleSecurity.LOGIN);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("POST /console/audit/verify").contains("NOT_AUTHENTICATED")
        .doesNotContain("AUDIT_VERIFY");
    HttpResponse<String> login = c.login(user(Role.AUDITOR), password(Role.AUDITOR));
    assertThat(ConsoleSession.location(login)).isEqualTo("/console/audit");
    assertThat(c.get("/console/audit").statusCode()).isEqualTo(200);
    // Without a session cookie (another site's form: SameSite=Strict sends none) it stays 403.
    ConsoleSession forger = new ConsoleSession(s.server.url());
    assertThat(forger.postRaw("/console/audit/verify", Map.of("_csrf", token)).statusCode())
        .isEqualTo(403);
  }

  @Test
  @DisplayName("SRC-3 values shown are escaped: markup in a user name stays text")
  void auditPage_markupInValues_escaped() {
    ConsoleSession c = new ConsoleSession(s.server.url());
    c.login("<img src=x onerror=alert(1)>", "not-the-password");
    String page = session(Role.AUDITOR).get("/console/audit").body();
    assertThat(page).contains("&lt;img src=x onerror=alert(1)&gt;")
        .doesNotContain("<img src=x");
  }

  @Test
  @DisplayName("SRC-3 the audit page's export: the whole log as a download, recorded")
  void auditExport_downloadsTheLog_recorded() {
    HttpResponse<String> r = session(Role.AUDITOR).get("/console/audit/export?format=jsonl");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Disposition")).hasValue(
        "attachment; filename=\"neguard-audit.jsonl\"");
    assertThat(r.body()).contains("\"action\":\"LOGIN\"");
    assertThat(s.http.get("/api/audit?tail=true&limit=5", s.adminToken()).body())
        .contains("AUDIT_EXPORT").contains("u-auditor");
  }

  @Test
  @DisplayName("SRC-3 a package's page: its scan reports as a row per engine, values escaped")
  void packagePage_showsEngineRowsOfStoredPackage_escaped() throws Exception {
    Instant now = storedPackage();
    ConsoleSession c = session(Role.AUDITOR);
    assertThat(c.get("/console/packages").body())
        .contains("href=\"/console/packages/console-pkg/2.0.0\"");
    HttpResponse<String> r = c.get("/console/packages/console-pkg/2.0.0");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String table = r.body().substring(r.body().indexOf("id=\"scan-reports\""));
    assertThat(table).contains("<td>clamd</td>").contains("<td>ClamAV&lt;b&gt;x&lt;/b&gt;</td>")
        .contains("<td>1.4.0</td>")
        .contains("<td>27001&lt;script&gt;alert(1)&lt;/script&gt;</td>")
        .contains(now.toString()).contains(">CLEAN</td>").contains("<td>test-host</td>")
        .doesNotContain("<script>").doesNotContain("<b>x");
    // No such package: the escaped refusal page, not a server error.
    HttpResponse<String> none = c.get("/console/packages/console-pkg/9.9.9");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(none.body()).contains("no package console-pkg 9.9.9");
  }

  @Test
  @DisplayName("SRC-1 an admin revokes a token on the users page: the API refuses it, recorded")
  void usersPage_adminRevokesToken_apiRefusesIt() {
    Http.Response minted = mint(Role.AUDITOR, "console-revoke");
    String id = minted.json().path("id").asText();
    String token = minted.json().path("token").asText();
    assertThat(s.http.get("/api/auth/whoami", token).status()).isEqualTo(200);

    ConsoleSession admin = session(Role.ADMIN);
    assertThat(admin.get("/console/users").body()).contains("<td>" + id + "</td>")
        .contains("<td>console-revoke</td>").contains("/console/users/tokens/" + id + "/revoke")
        .doesNotContain(token);
    long before = lastAudit();
    HttpResponse<String> r = admin.post("/console/users", "/console/users/tokens/" + id
        + "/revoke", Map.of());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).isEqualTo("/console/users");

    assertThat(s.http.get("/api/auth/whoami", token).status()).isEqualTo(401);
    assertThat(s.http.get("/api/audit?after=" + before, s.adminToken()).body())
        .contains("TOKEN_REVOKE").contains("token " + id).contains("of user u-auditor");
    assertThat(admin.get("/console/users").body()).contains("revoked ")
        .doesNotContain("/console/users/tokens/" + id + "/revoke");
  }

  @Test
  @DisplayName("SRC-1 a non-admin posting the token revocation form directly is refused 403")
  void tokenRevoke_nonAdminPostingForm_refusedTokenStillWorks() {
    Http.Response minted = mint(Role.APPROVER, "console-keep");
    String id = minted.json().path("id").asText();
    String token = minted.json().path("token").asText();
    long before = lastAudit();
    for (Role role : List.of(Role.OPERATOR, Role.APPROVER, Role.AUDITOR, Role.PUBLISHER)) {
      // With a valid CSRF token, so that the refusal is the role's; the approver owns it.
      HttpResponse<String> r = session(role).post("/console/login",
          "/console/users/tokens/" + id + "/revoke", Map.of());
      assertThat(r.statusCode()).as(role.id()).isEqualTo(403);
      assertThat(r.body()).as(role.id()).contains("NOT_AUTHORIZED");
    }
    assertThat(s.http.get("/api/auth/whoami", token).status()).isEqualTo(200);
    Http.Response audit = s.http.get("/api/audit?after=" + before, s.adminToken());
    assertThat(audit.body()).contains("POST /console/users/tokens/" + id + "/revoke")
        .contains("denied");
    for (com.fasterxml.jackson.databind.JsonNode row : audit.json()) {
      assertThat(row.path("action").asText() + " " + row.path("outcome").asText())
          .isNotEqualTo("TOKEN_REVOKE success");
    }
  }

  @Test
  @DisplayName("REC-2 an operator creates a recovery campaign from the console; an approver"
      + " approves it on its deployment's page")
  void recoveryForm_operatorCreates_approverApproves() throws Exception {
    storedPackage();
    try (Connection c = s.db(); PreparedStatement p = c.prepareStatement("INSERT INTO devices"
        + " (id, ne_type, trust_state, enrolled_at, enrollment_token, cert_serial,"
        + " cert_not_after) VALUES ('console-q1', 'mme', 'quarantined', ?, 'test', 'serial-q1',"
        + " ?)")) {
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      p.setObject(1, now);
      p.setObject(2, now.plusDays(1));
      p.executeUpdate();
    }
    ConsoleSession operator = session(Role.OPERATOR);
    assertThat(operator.get("/console/deployments").body()).contains("id=\"recovery-form\"");
    assertThat(session(Role.APPROVER).get("/console/deployments").body())
        .doesNotContain("id=\"recovery-form\"");
    HttpResponse<String> r = operator.post("/console/deployments", "/console/recoveries",
        Map.of("neType", "mme", "packageName", "console-pkg", "packageVersion", "2.0.0",
            "waveSize", "1"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(302);
    String page = ConsoleSession.location(r);
    assertThat(page).startsWith("/console/deployments/");
    String id = page.substring("/console/deployments/".length());

    Http.Response d = s.http.get("/api/deployments/" + id, s.adminToken());
    assertThat(d.json().path("kind").asText()).isEqualTo("recovery");
    assertThat(d.json().path("state").asText()).isEqualTo("pending_approval");
    assertThat(d.json().path("createdBy").asText()).isEqualTo("u-operator");
    assertThat(d.json().path("targetCount").asInt()).isEqualTo(1);
    assertThat(s.http.get("/api/audit?tail=true&limit=20", s.adminToken()).body())
        .contains("RECOVERY_CREATE").contains("recovery campaign: console-pkg 2.0.0");

    ConsoleSession approver = session(Role.APPROVER);
    assertThat(approver.get(page).body()).contains("/console/deployments/" + id + "/approve");
    HttpResponse<String> ok = approver.post(page, page + "/approve", Map.of());
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(302);
    assertThat(s.http.get("/api/deployments/" + id, s.adminToken()).json().path("approvals")
        .path(0).path("approver").asText()).isEqualTo("u-approver");

    // A bad campaign is the service's refusal, shown as a page: no device of that type.
    HttpResponse<String> none = operator.post("/console/deployments", "/console/recoveries",
        Map.of("neType", "hss", "packageName", "console-pkg", "packageVersion", "2.0.0"));
    assertThat(none.statusCode()).isEqualTo(400);
    assertThat(none.body()).contains("BAD_INPUT");
  }

  @Test
  @DisplayName("REC-2 a non-operator posting the recovery form directly is refused 403")
  void recoveryForm_nonOperatorPostingDirectly_refused() throws Exception {
    storedPackage();
    long before = lastAudit();
    for (Role role : List.of(Role.ADMIN, Role.APPROVER, Role.AUDITOR, Role.PUBLISHER)) {
      HttpResponse<String> r = session(role).post("/console/login", "/console/recoveries",
          Map.of("neType", "mme", "packageName", "console-pkg", "packageVersion", "2.0.0"));
      assertThat(r.statusCode()).as(role.id()).isEqualTo(403);
      assertThat(r.body()).as(role.id()).contains("NOT_AUTHORIZED");
    }
    Http.Response audit = s.http.get("/api/audit?after=" + before, s.adminToken());
    assertThat(audit.body()).contains("POST /console/recoveries").contains("denied");
    for (com.fasterxml.jackson.databind.JsonNode row : audit.json()) {
      assertThat(row.path("action").asText()).isNotEqualTo("RECOVERY_CREATE");
    }
  }

  /**
   * SRC-1: every console route the server declares, with a session of each role (and none):
   * the declared roles pass, the others get 403, no session is sent to log in; a POST carries its
   * CSRF token, so that the refusal is the role's. RbacWalkTest checks the declarations.
   */
  @Test
  @DisplayName("SRC-1 console RBAC walk: every route, every role, with a session")
  void walk_everyConsoleRouteEveryRole() {
    Map<String, Set<Role>> routes = RbacWalkTest.consoleRoutes();
    assertThat(routes).isNotEmpty();
    List<String> failures = new ArrayList<>();
    ConsoleSession none = new ConsoleSession(s.server.url());
    for (Map.Entry<String, Set<Role>> e : routes.entrySet()) {
      String method = e.getKey().split(" ")[0];
      String path = e.getKey().split(" ")[1].replaceAll("\\{[^}]+}", "probe-nothing");
      boolean upload = path.equals(PackageUploadForm.PATH);
      if (e.getValue() != null) {
        HttpResponse<String> r = method.equals("GET") ? none.get(path)
            : none.postRaw(path, Map.of());
        int status = r.statusCode();
        // Without a session a POST fails its CSRF check first: refused either way. The upload
        // form's token is its handler's to check (ConsoleSecurity.UPLOAD): sent to log in.
        boolean toLogin = status == 302
            && ConsoleSession.location(r).endsWith(ConsoleSecurity.LOGIN);
        if (method.equals("GET") ? status != 302 : upload ? !toLogin : status != 403) {
          failures.add(e.getKey() + " without a session: " + status);
        }
      }
      for (Role role : Role.values()) {
        ConsoleSession c = session(role);
        HttpResponse<String> r = method.equals("GET") ? c.get(path)
            : c.post("/console/login", path, Map.of());
        boolean admitted = e.getValue() == null || e.getValue().contains(role);
        int st = r.statusCode();
        if (admitted && (st == 401 || st == 403 || st >= 500
            || (st == 302 && ConsoleSession.location(r).contains("/login")))) {
          failures.add(e.getKey() + " as " + role.id() + ": expected admitted, got " + st);
        } else if (!admitted && st != 403) {
          failures.add(e.getKey() + " as " + role.id() + ": expected 403, got " + st);
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  static Instant scannedAt;

  /**
   * Package console-pkg 2.0.0 (NE type mme), stored once for the class: its one scan report
   * names an engine and a database version holding markup. Returns its scan time.
   */
  static synchronized Instant storedPackage() throws Exception {
    if (scannedAt == null) {
      Path work = Files.createDirectories(s.dir.resolve("console-pkg"));
      Instant now = Instant.now();
      EngineInfo engine = new EngineInfo("clamd", "ClamAV<b>x</b>", "1.4.0",
          "27001<script>alert(1)</script>", now.minus(Duration.ofHours(2)), "unix:/test");
      Path b = Bundles.sign(Bundles.withReport(
          Bundles.unsigned(work, "console-pkg", "2.0.0", 7, 4_000), engine, now),
          s.pki.codeSigner().material());
      Http.Response up = s.http.upload(b, s.token(Role.PUBLISHER));
      assertThat(up.status()).as(up.toString()).isEqualTo(201);
      scannedAt = now;
    }
    return scannedAt;
  }

  /** A new API token of the user with role {@code owner}, as POST /api/tokens answers it. */
  static Http.Response mint(Role owner, String name) {
    Http.Response r = s.http.post("/api/tokens", s.token(owner), Map.of("name", name));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r;
  }

  static long lastAudit() {
    return lastAudit(s);
  }

  static long lastAudit(TestServer s) {
    return s.http.get("/api/audit?tail=true&limit=1", s.adminToken()).json().path(0).path("seq")
        .asLong();
  }
}
