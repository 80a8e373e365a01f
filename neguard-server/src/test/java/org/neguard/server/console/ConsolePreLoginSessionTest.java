package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.TestTls;
import org.neguard.testing.TestPki;

/**
 * HRD-6, last session's finding: a visitor who is not signed in costs the server no session.
 * The login form's CSRF token lives in a signed cookie until login (ConsoleCsrfTokens), the page
 * asked for in a cookie, a failed login's answer in the URL.
 */
@DisplayName("HRD-6 SRC-1 console: no server session before login")
class ConsolePreLoginSessionTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    s.token(Role.AUDITOR);
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  /** The server's sessions: the rows of its database's session table (ConsoleSessions). */
  static long sessionRows() throws java.sql.SQLException {
    try (java.sql.Connection c = s.db();
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM console_sessions")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  @DisplayName("HRD-6 10,000 anonymous GETs of the login page create no server session")
  void loginPage_tenThousandAnonymousGets_noServerSession() throws Exception {
    long before = sessionRows();
    HttpClient client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER).build(); // no cookie jar: 10,000 strangers
    AtomicInteger withSession = new AtomicInteger();
    AtomicInteger withToken = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 2_500; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                s.server.url().resolve("/console/login")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            List<String> cookies = r.headers().allValues("Set-Cookie");
            if (cookies.stream().anyMatch(c -> c.startsWith("NEGUARD_CONSOLE="))) {
              withSession.incrementAndGet();
            }
            if (cookies.stream().anyMatch(c -> c.startsWith(ConsoleCsrfTokens.COOKIE + "="))
                && r.body().contains("name=\"_csrf\"")) {
              withToken.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    // A page that needs a session and a failed login: sent to log in, still no session.
    ConsoleSession c = new ConsoleSession(s.server.url());
    for (int i = 0; i < 20; i++) {
      assertThat(c.get("/console/devices?neType=mme").statusCode()).isEqualTo(302);
    }
    assertThat(c.login("nobody", "wrong-password-here").statusCode()).isEqualTo(302);
    assertThat(c.sessionId()).isNull();
    assertThat(withSession.get()).isZero();
    assertThat(withToken.get()).isEqualTo(10_000);
    assertThat(sessionRows() - before).isZero();
    // The page asked for is still where login leads, and login makes the one session.
    HttpResponse<String> in = c.login(ConsoleSecurityTest.user(Role.AUDITOR),
        ConsoleSecurityTest.password(Role.AUDITOR));
    assertThat(ConsoleSession.location(in)).isEqualTo("/console/devices?neType=mme");
    assertThat(c.sessionId()).isNotNull();
    assertThat(sessionRows() - before).isEqualTo(1);
  }

  @Test
  @DisplayName("SRC-1 the login form's token: its own signed cookie only; forged or swapped, 403")
  void loginForm_tokenCookie_forgedOrSwapped_refused() {
    Map<String, String> creds = Map.of("username", ConsoleSecurityTest.user(Role.AUDITOR),
        "password", ConsoleSecurityTest.password(Role.AUDITOR));
    // Another visitor's token with this visitor's cookie.
    ConsoleSession a = new ConsoleSession(s.server.url());
    ConsoleSession b = new ConsoleSession(s.server.url());
    String tokenOfB = b.csrf("/console/login");
    a.csrf("/console/login");
    java.util.HashMap<String, String> swapped = new java.util.HashMap<>(creds);
    swapped.put("_csrf", tokenOfB);
    assertThat(a.postRaw("/console/login", swapped).statusCode()).isEqualTo(403);
    // A cookie and field that match but were not made by this server (no valid MAC).
    ConsoleSession forged = new ConsoleSession(s.server.url());
    String made = "AAAA." + (Instant.now().getEpochSecond() + 600) + ".BBBB";
    HttpResponse<String> r = forged.get("/console/login",
        Map.of("Cookie", ConsoleCsrfTokens.COOKIE + "=" + made));
    assertThat(r.statusCode()).isEqualTo(200);
    HttpClient raw = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    HttpResponse<String> post = send(raw, HttpRequest.newBuilder(
            s.server.url().resolve("/console/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", ConsoleCsrfTokens.COOKIE + "=" + made)
        .POST(HttpRequest.BodyPublishers.ofString("username=admin&password="
            + TestServer.ADMIN_PASSWORD + "&_csrf=" + mask(made))).build());
    assertThat(post.statusCode()).isEqualTo(403);
    // The visitor's own: signed in, and the cookie token is dropped for the session's.
    ConsoleSession own = new ConsoleSession(s.server.url());
    HttpResponse<String> ok = own.login(creds.get("username"), creds.get("password"));
    assertThat(ok.statusCode()).isEqualTo(302);
    assertThat(ConsoleSession.location(ok)).isEqualTo("/console");
    assertThat(ok.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v)
        .startsWith(ConsoleCsrfTokens.COOKIE + "=;").contains("Max-Age=0"));
    assertThat(own.get("/console/devices").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("SRC-1 a login token is this server's and expires: other key, altered or old, invalid;"
      + " one minted with the key but lasting longer than this server's own, invalid")
  void csrfCookie_macAndExpiry_checked() {
    Instant t0 = Instant.parse("2026-12-05T04:00:00Z");
    MutableClock clock = new MutableClock(t0);
    var key = randomKey();
    ConsoleCsrfTokens tokens = new ConsoleCsrfTokens(key, clock);
    String v = tokens.generateToken(null).getToken();
    assertThat(tokens.valid(v)).isTrue();
    MutableClock ahead = new MutableClock(t0.plus(ConsoleCsrfTokens.CLOCK_SKEW));
    assertThat(tokens.valid(new ConsoleCsrfTokens(key, ahead).generateToken(null).getToken()))
        .as("minted by a replica whose clock is the allowed skew ahead").isTrue();
    ahead.now = t0.plus(ConsoleCsrfTokens.CLOCK_SKEW).plusSeconds(1);
    assertThat(tokens.valid(new ConsoleCsrfTokens(key, ahead).generateToken(null).getToken()))
        .as("minted with the key to last longer").isFalse();
    ahead.now = t0.plusSeconds(86_400);
    assertThat(tokens.valid(new ConsoleCsrfTokens(key, ahead).generateToken(null).getToken()))
        .as("minted with the key to last a day").isFalse();
    assertThat(new ConsoleCsrfTokens(randomKey(), clock).valid(v)).as("another key").isFalse();
    String[] p = v.split("\\.");
    assertThat(tokens.valid(p[0] + "." + (Long.parseLong(p[1]) + 3600) + "." + p[2]))
        .as("expiry pushed back").isFalse();
    assertThat(tokens.valid(p[0] + "x." + p[1] + "." + p[2])).as("random part").isFalse();
    for (String bad : List.of("", ".", "..", "a.b.c", "a..c", v + ".x", p[0] + "." + p[1])) {
      assertThat(tokens.valid(bad)).as(bad).isFalse();
    }
    clock.now = t0.plus(ConsoleCsrfTokens.LIFETIME).minusSeconds(1);
    assertThat(tokens.valid(v)).isTrue();
    clock.now = t0.plus(ConsoleCsrfTokens.LIFETIME);
    assertThat(tokens.valid(v)).as("expired").isFalse();
  }

  @Test
  @DisplayName("SRC-1 over TLS the login token's cookie is __Host-NEGUARD_CSRF (Secure, Path=/, no"
      + " Domain), so no sibling subdomain can plant it; a plain NEGUARD_CSRF is not read there")
  void tls_csrfCookie_hostPrefixed_plainNameNotAccepted() throws Exception {
    Path dir = Files.createTempDirectory("neguard-csrf-tls-");
    try {
      TestServer.prepare(dir, TestPki.create());
      TestTls tls = TestTls.create(dir);
      ServerConfig config = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
          .adminPasswordFile(dir.resolve("admin-password"))
          .tls(tls.keyStore(), tls.password()).build();
      try (NeguardServer server = NeguardServer.start(config)) {
        HttpClient client = HttpClient.newBuilder().sslContext(tls.client())
            .followRedirects(HttpClient.Redirect.NEVER).build();
        HttpResponse<String> page = send(client,
            HttpRequest.newBuilder(server.url().resolve("/console/login")).GET().build());
        assertThat(page.statusCode()).isEqualTo(200);
        List<String> set = page.headers().allValues("Set-Cookie");
        assertThat(set).noneMatch(v -> v.startsWith(ConsoleCsrfTokens.COOKIE + "="));
        String cookie = set.stream()
            .filter(v -> v.startsWith(ConsoleCsrfTokens.HOST_COOKIE + "=")).findFirst()
            .orElseThrow(() -> new AssertionError("no __Host- token cookie in " + set));
        assertThat(cookie).contains("; Path=/;").doesNotContain("Path=/console")
            .contains("; Secure").contains("HttpOnly").contains("SameSite=Strict")
            .doesNotContainIgnoringCase("domain");
        String value = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
        Matcher m = ConsoleSession.CSRF.matcher(page.body());
        assertThat(m.find()).as(page.body()).isTrue();
        String form = "username=admin&password=" + TestServer.ADMIN_PASSWORD + "&_csrf="
            + java.net.URLEncoder.encode(m.group(1), java.nio.charset.StandardCharsets.UTF_8);
        // The server's own token under the plain name, as a sibling subdomain could set it.
        HttpResponse<String> planted = send(client, loginPost(server, form,
            ConsoleCsrfTokens.COOKIE + "=" + value));
        assertThat(planted.statusCode()).isEqualTo(403);
        HttpResponse<String> own = send(client, loginPost(server, form,
            ConsoleCsrfTokens.HOST_COOKIE + "=" + value));
        assertThat(own.statusCode()).isEqualTo(302);
        assertThat(ConsoleSession.location(own)).isEqualTo("/console");
        assertThat(own.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v)
            .startsWith(ConsoleCsrfTokens.HOST_COOKIE + "=;").contains("Max-Age=0")
            .contains("; Path=/;").contains("; Secure"));
        // The session's cookie (Spring Session's) keeps the server's flags, Secure over TLS.
        assertThat(own.headers().allValues("Set-Cookie")).anySatisfy(v -> assertThat(v)
            .startsWith("NEGUARD_CONSOLE=").contains("; Path=/console").contains("; Secure")
            .contains("; HttpOnly").contains("SameSite=Strict").doesNotContain("Max-Age")
            .doesNotContainIgnoringCase("domain"));
      }
    } finally {
      TestServer.delete(dir);
    }
  }

  /** A key as {@link ConsoleCsrfKey} makes one, for a server other than any running here. */
  static java.util.function.Supplier<javax.crypto.spec.SecretKeySpec> randomKey() {
    byte[] k = new byte[ConsoleCsrfKey.BYTES];
    new java.security.SecureRandom().nextBytes(k);
    javax.crypto.spec.SecretKeySpec key = new javax.crypto.spec.SecretKeySpec(k, "HmacSHA256");
    return () -> key;
  }

  private static HttpRequest loginPost(NeguardServer server, String form, String cookie) {
    return HttpRequest.newBuilder(server.url().resolve("/console/login"))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookie)
        .POST(HttpRequest.BodyPublishers.ofString(form)).build();
  }

  /**
   * {@code token} as the form carries it: Spring Security's XOR masking, here with a zero mask,
   * so that the refusal is the cookie's MAC's and not the masking's.
   */
  static String mask(String token) {
    byte[] t = token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] combined = new byte[2 * t.length];
    System.arraycopy(t, 0, combined, t.length, t.length);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(combined);
  }

  static HttpResponse<String> send(HttpClient c, HttpRequest r) {
    try {
      return c.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static final class MutableClock extends Clock {
    Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
