package org.neguard.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.neguard.pki.DemoPki;
import org.neguard.testing.TestPki;

/**
 * A real server for a test class: in this JVM, on a free loopback port, with a fresh data
 * directory, a test PKI's root as its only trust anchor, and a known admin password. Users with
 * each single role are made on demand.
 */
public final class TestServer implements AutoCloseable {
  public static final String ADMIN_PASSWORD = "admin-password-for-tests";

  public final Path dir;
  public final TestPki pki;
  public final NeguardServer server;
  public final Http http;
  private final String adminToken;
  private final Map<Set<Role>, String> tokens = new HashMap<>();
  private ServerConfig config;

  /** Mirrors the server's roles without depending on its (package-private) users API. */
  public enum Role {
    ADMIN, PUBLISHER, OPERATOR, APPROVER, AUDITOR;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private TestServer(Path dir, TestPki pki, NeguardServer server) {
    this.dir = dir;
    this.pki = pki;
    this.server = server;
    this.http = new Http(server.url());
    this.adminToken = http.login("admin", ADMIN_PASSWORD);
    tokens.put(EnumSet.of(Role.ADMIN), adminToken);
  }

  /** Starts on the embedded database. */
  public static TestServer start() throws Exception {
    return start(null);
  }

  /** Starts on {@code dbUrl} (PostgreSQL), or the embedded database when null. */
  public static TestServer start(String dbUrl) throws Exception {
    return start(dbUrl, b -> b);
  }

  /** As {@link #start(String)}, with more settings made by {@code customize}. */
  public static TestServer start(String dbUrl,
      java.util.function.UnaryOperator<ServerConfig.Builder> customize) throws Exception {
    Path dir = Files.createTempDirectory("neguard-server-test-");
    TestPki pki = TestPki.create();
    prepare(dir, pki);
    ServerConfig.Builder b = ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password"));
    if (dbUrl != null) {
      b.database(dbUrl, "postgres", "");
    }
    try {
      ServerConfig config = customize.apply(b).build();
      TestServer t = new TestServer(dir, pki, NeguardServer.start(config));
      t.config = config;
      return t;
    } catch (Exception | Error e) {
      delete(dir);
      throw e;
    }
  }

  /**
   * Writes the admin password file and installs {@code pki}'s root as the trust anchor; the
   * data directory is made 0700, as the server demands of an existing one.
   */
  public static void prepare(Path dir, TestPki pki) throws IOException {
    Files.writeString(dir.resolve("admin-password"), ADMIN_PASSWORD + "\n");
    Path anchors = dir.resolve("data/trust/anchors");
    Files.createDirectories(anchors);
    Files.setPosixFilePermissions(dir.resolve("data"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Files.writeString(anchors.resolve("vendor-root.pem"), DemoPki.pem(pki.root));
  }

  /** The server's bean of {@code type}, for tests that drive a component the API does not. */
  public <T> T bean(Class<T> type) throws ReflectiveOperationException {
    return bean(server, type);
  }

  /**
   * The bean of {@code type} of a running {@code server} (a replica a test started itself, say):
   * the launcher's boundary exposes none, so tests look behind it.
   */
  public static <T> T bean(NeguardServer server, Class<T> type)
      throws ReflectiveOperationException {
    java.lang.reflect.Field f = NeguardServer.class.getDeclaredField("context");
    f.setAccessible(true);
    return ((org.springframework.context.ConfigurableApplicationContext) f.get(server))
        .getBean(type);
  }

  /**
   * A JDBC connection to the server's database (its PostgreSQL, or the embedded one), for tests
   * that look behind the API.
   */
  public java.sql.Connection db() throws java.sql.SQLException {
    if (config != null && config.dbUrl().isPresent()) {
      return java.sql.DriverManager.getConnection(config.dbUrl().get(),
          config.dbUser().orElse(""), config.dbPassword().orElse(""));
    }
    return java.sql.DriverManager.getConnection(NeguardServer.embeddedUrl(data().resolve("db")),
        "sa", "");
  }

  public Path data() {
    return dir.resolve("data");
  }

  /**
   * Stops this server and starts another on the same data directory and database (a restart);
   * this one must not be used after. The users' tokens stay valid.
   */
  public TestServer restart() throws Exception {
    server.close();
    TestServer t = new TestServer(dir, pki, NeguardServer.start(config));
    t.config = config;
    t.tokens.putAll(tokens);
    return t;
  }

  public String adminToken() {
    return adminToken;
  }

  /** A token of a user holding exactly {@code roles} (created once per set). */
  public synchronized String token(Role... roles) {
    Set<Role> set = roles.length == 0 ? Set.of() : EnumSet.copyOf(List.of(roles));
    return tokens.computeIfAbsent(set, s -> {
      String name = "u-" + String.join("-", s.stream().map(Role::id).sorted().toList());
      String password = "password-of-" + name;
      Http.Response r = http.post("/api/users", adminToken, Map.of("username", name,
          "password", password, "roles", s.stream().map(Role::id).toList()));
      if (r.status() != 201) {
        throw new AssertionError("creating " + name + ": " + r);
      }
      return http.login(name, password);
    });
  }

  /** Files in the package store and the upload temp directory. */
  public List<String> storedFiles() {
    try (Stream<Path> s = Stream.concat(Files.list(data().resolve("packages")),
        Files.list(data().resolve("tmp")))) {
      return s.map(p -> data().relativize(p).toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      server.close();
    } finally {
      delete(dir);
    }
  }

  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        p.toFile().setWritable(true);
        Files.deleteIfExists(p);
      }
    }
  }
}
