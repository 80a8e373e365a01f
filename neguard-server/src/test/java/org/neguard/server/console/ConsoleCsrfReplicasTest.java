package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.server.NeguardServer;
import org.neguard.server.PostgresReplicas;
import org.neguard.server.TestServer.Role;

/**
 * Two replicas on one PostgreSQL behind a balancer that is not sticky before login: the login
 * page from one, its form posted to the other. The pre-login CSRF cookie's key is the database's
 * ({@link ConsoleCsrfKey}), so either replica accepts the other's form; a cookie under any other
 * key is refused by both; without the database's key no one logs in (no key of the process's own).
 * The balancer is this test: each request sent to the replica it names, the cookie carried by hand.
 */
@DisplayName("SRC-1 console login over two replicas on one PostgreSQL: one pre-login CSRF key")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleCsrfReplicasTest {
  static PostgresReplicas replicas;

  @BeforeAll
  static void start() throws Exception {
    replicas = PostgresReplicas.start("neguard_csrfkey_", Role.AUDITOR);
  }

  @AfterAll
  static void stop() throws Exception {
    if (replicas != null) {
      replicas.close();
    }
  }

  /** A login page as a browser got it: its token cookie's value and its form's field. */
  record Page(URI from, String cookie, String field) {}

  static Page page(URI replica) {
    HttpResponse<String> r = send(HttpRequest.newBuilder(replica.resolve("/console/login"))
        .GET().build());
    assertThat(r.statusCode()).as("%s: %s", replica, r.body()).isEqualTo(200);
    String cookie = r.headers().allValues("Set-Cookie").stream()
        .filter(v -> v.startsWith(ConsoleCsrfTokens.COOKIE + "=")).findFirst()
        .map(v -> v.substring(v.indexOf('=') + 1, v.indexOf(';')))
        .orElseThrow(() -> new AssertionError("no token cookie from " + replica));
    Matcher m = ConsoleSession.CSRF.matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return new Page(replica, cookie, m.group(1));
  }

  /** The login form of {@code page} posted to {@code replica} as the auditor. */
  static HttpResponse<String> login(URI replica, String cookie, String field) {
    String form = "username=" + enc(ConsoleSecurityTest.user(Role.AUDITOR)) + "&password="
        + enc(ConsoleSecurityTest.password(Role.AUDITOR)) + "&_csrf=" + enc(field);
    return send(HttpRequest.newBuilder(replica.resolve("/console/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cookie", ConsoleCsrfTokens.COOKIE + "=" + cookie)
        .POST(HttpRequest.BodyPublishers.ofString(form)).build());
  }

  static HttpResponse<String> login(URI replica, Page page) {
    return login(replica, page.cookie(), page.field());
  }

  /** Signed in on {@code replica}: sent to the overview with a session that opens a page there. */
  static void assertSignedIn(URI replica, HttpResponse<String> r) {
    assertThat(r.statusCode()).as("%s: %s", replica, r.body()).isEqualTo(302);
    assertThat(ConsoleSession.location(r)).isEqualTo("/console");
    String session = r.headers().allValues("Set-Cookie").stream()
        .filter(v -> v.startsWith("NEGUARD_CONSOLE=")).findFirst()
        .map(v -> v.substring(0, v.indexOf(';')))
        .orElseThrow(() -> new AssertionError("no session from " + replica));
    assertThat(send(HttpRequest.newBuilder(replica.resolve("/console/devices"))
        .header("Cookie", session).GET().build()).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(1)
  @DisplayName("SRC-1 a login page from one replica, its form posted to the other: signed in;"
      + " both replicas' first use at once makes one key")
  void loginForm_fromOneReplica_postedToTheOther_signsIn() throws Exception {
    assertThat(keyRows()).as("no key before the console is first used").isZero();
    // Both replicas' first login pages at once: each may insert, one row wins, both read it.
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Page> pages = new ArrayList<>();
    try {
      List<Future<Page>> got = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        URI to = i % 2 == 0 ? replicas.a() : replicas.b();
        got.add(pool.submit((Callable<Page>) () -> page(to)));
      }
      for (Future<Page> f : got) {
        pages.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(keyRows()).isEqualTo(1);
    for (Page p : pages) {
      URI to = replicas.other(p.from());
      assertSignedIn(to, login(to, p));
    }
  }

  @Test
  @Order(2)
  @DisplayName("SRC-1 a login cookie under another key is refused by both replicas; under the"
      + " database's key accepted by both")
  void loginCookie_otherKey_refusedOnBoth_databaseKeyAcceptedOnBoth() throws Exception {
    String forged = new ConsoleCsrfTokens(ConsolePreLoginSessionTest.randomKey(),
        Clock.systemUTC()).generateToken(null).getToken();
    byte[] stored = storedKey();
    SecretKeySpec key = new SecretKeySpec(stored, "HmacSHA256");
    String minted = new ConsoleCsrfTokens(() -> key, Clock.systemUTC()).generateToken(null)
        .getToken();
    for (URI replica : replicas.both()) {
      assertThat(login(replica, forged, ConsolePreLoginSessionTest.mask(forged)).statusCode())
          .as("another key, on %s", replica).isEqualTo(403);
      // The key is the database's row: whoever reads it mints login-form tokens (CONSOLE.md).
      assertSignedIn(replica, login(replica, minted, ConsolePreLoginSessionTest.mask(minted)));
    }
  }

  @Test
  @Order(3)
  @DisplayName("SRC-1 without the database's key a replica lets no one log in and says why;"
      + " no key of its own, and the next request reads it again")
  void key_unreadable_loginRefusedWithReason_noKeyOfItsOwn() throws Exception {
    Page fromA = page(replicas.a());
    byte[] stored = storedKey();
    // A replica that has not read the key yet: its first console request finds no table.
    try (NeguardServer c = NeguardServer.start(replicas.replica("c"))) {
      try {
        sql("ALTER TABLE console_keys RENAME TO console_keys_away");
        HttpResponse<String> refused = send(HttpRequest.newBuilder(
            c.url().resolve("/console/login")).GET().build());
        assertThat(refused.statusCode()).isEqualTo(500);
        assertThat(refused.body()).startsWith("IO_ERROR: the console cannot check login forms")
            .contains("table console_keys").contains("No one can log in");
        assertThat(refused.headers().allValues("Set-Cookie"))
            .noneMatch(v -> v.startsWith(ConsoleCsrfTokens.COOKIE));
        HttpResponse<String> posted = login(c.url(), fromA);
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(500);
        assertThat(posted.body()).startsWith("IO_ERROR:");
        sql("ALTER TABLE console_keys_away RENAME TO console_keys");
        // A row that is not a key of 32 bytes is no key either.
        setSecret(new byte[] {1, 2, 3, 4});
        HttpResponse<String> shortKey = send(HttpRequest.newBuilder(
            c.url().resolve("/console/login")).GET().build());
        assertThat(shortKey.statusCode()).isEqualTo(500);
        assertThat(shortKey.body()).contains("is 4 bytes, not 32")
            .contains("delete that row and restart the replicas");
      } finally {
        sql("ALTER TABLE IF EXISTS console_keys_away RENAME TO console_keys");
        setSecret(stored);
      }
      // Readable again: not a failure remembered, and the same key as the others'.
      assertSignedIn(c.url(), login(c.url(), fromA));
      Page fromC = page(c.url());
      assertSignedIn(replicas.a(), login(replicas.a(), fromC));
    }
  }

  @Test
  @Order(4)
  @DisplayName("SRC-1 rotation: the key's row deleted and the replicas restarted, a form of the"
      + " old key is refused once, a new one signs in on either")
  void rotation_rowDeletedReplicasRestarted_oldFormRefusedNewFormSignsIn() throws Exception {
    Page old = page(replicas.b());
    sql("DELETE FROM console_keys");
    replicas.restartBoth();
    assertThat(login(replicas.a(), old).statusCode()).isEqualTo(403);
    assertThat(login(replicas.b(), old).statusCode()).isEqualTo(403);
    Page fresh = page(replicas.a());
    assertThat(keyRows()).isEqualTo(1);
    assertSignedIn(replicas.b(), login(replicas.b(), fresh));
  }

  /** The key's row as anyone with read access to the database sees it. */
  static byte[] storedKey() throws Exception {
    List<Map<String, Object>> rows = replicas.rows("SELECT secret FROM console_keys");
    assertThat(rows).hasSize(1);
    return (byte[]) rows.get(0).get("secret");
  }

  static long keyRows() throws Exception {
    return replicas.count("SELECT count(*) FROM console_keys");
  }

  static void sql(String statement) throws Exception {
    replicas.update(statement);
  }

  static void setSecret(byte[] secret) throws Exception {
    assertThat(replicas.update("UPDATE console_keys SET secret = ?", (Object) secret)).isEqualTo(1);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> send(HttpRequest r) {
    return PostgresReplicas.send(r);
  }
}
