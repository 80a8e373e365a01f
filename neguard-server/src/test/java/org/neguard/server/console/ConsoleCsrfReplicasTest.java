package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
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
  static final HttpClient RAW =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  static String database;
  static TestServer a;
  static NeguardServer b;

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_csrfkey_");
    a = TestServer.start(TestDb.url(database));
    a.token(Role.AUDITOR);
    b = NeguardServer.start(replica("b"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (b != null) {
        b.close();
      }
    } finally {
      TestDb.closeAndDrop(a, database);
    }
  }

  static ServerConfig replica(String name) {
    return replica(a, database, name);
  }

  /**
   * Another replica of {@code first}'s settings: its own data directory, the same database
   * ({@code database} on the tests' PostgreSQL) and administrator.
   */
  static ServerConfig replica(TestServer first, String database, String name) {
    return ServerConfig.builder(first.dir.resolve("data-" + name)).port(0).quiet(true)
        .database(TestDb.url(database), "postgres", "")
        .adminPasswordFile(first.dir.resolve("admin-password")).build();
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

  static URI other(URI replica) {
    return replica.equals(a.server.url()) ? b.url() : a.server.url();
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
        URI to = i % 2 == 0 ? a.server.url() : b.url();
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
      URI to = other(p.from());
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
    for (URI replica : List.of(a.server.url(), b.url())) {
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
    Page fromA = page(a.server.url());
    byte[] stored = storedKey();
    // A replica that has not read the key yet: its first console request finds no table.
    try (NeguardServer c = NeguardServer.start(replica("c"))) {
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
      assertSignedIn(a.server.url(), login(a.server.url(), fromC));
    }
  }

  @Test
  @Order(4)
  @DisplayName("SRC-1 rotation: the key's row deleted and the replicas restarted, a form of the"
      + " old key is refused once, a new one signs in on either")
  void rotation_rowDeletedReplicasRestarted_oldFormRefusedNewFormSignsIn() throws Exception {
    Page old = page(b.url());
    sql("DELETE FROM console_keys");
    a = a.restart();
    b.close();
    b = NeguardServer.start(replica("b"));
    assertThat(login(a.server.url(), old).statusCode()).isEqualTo(403);
    assertThat(login(b.url(), old).statusCode()).isEqualTo(403);
    Page fresh = page(a.server.url());
    assertThat(keyRows()).isEqualTo(1);
    assertSignedIn(b.url(), login(b.url(), fresh));
  }

  /** The key's row as anyone with read access to the database sees it. */
  static byte[] storedKey() throws Exception {
    try (Connection c = TestDb.connect(database);
        var rs = c.createStatement().executeQuery("SELECT secret FROM console_keys")) {
      assertThat(rs.next()).isTrue();
      return rs.getBytes(1);
    }
  }

  static int keyRows() throws Exception {
    try (Connection c = TestDb.connect(database);
        var rs = c.createStatement().executeQuery("SELECT count(*) FROM console_keys")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static void sql(String statement) throws Exception {
    try (Connection c = TestDb.connect(database); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  static void setSecret(byte[] secret) throws Exception {
    try (Connection c = TestDb.connect(database);
        PreparedStatement p = c.prepareStatement("UPDATE console_keys SET secret = ?")) {
      p.setBytes(1, secret);
      assertThat(p.executeUpdate()).isEqualTo(1);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> send(HttpRequest r) {
    return ConsolePreLoginSessionTest.send(RAW, r);
  }
}
