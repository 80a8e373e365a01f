package org.neguard.server.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * Two replicas of one server on one fresh PostgreSQL database, for the console tests that play
 * a balancer which is not sticky: replica A (a {@link TestServer}, with its administrator and
 * role tokens) and replica B (the same settings, its own data directory). The test sends each
 * request to the replica it names, with no redirects followed. Not thread-safe: the tests drive
 * it from their own thread; {@link #send} may be called from any.
 */
final class ConsoleReplicas implements AutoCloseable {
  private static final HttpClient RAW =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private final String database;
  private TestServer a;
  private NeguardServer b;

  private ConsoleReplicas(String database) {
    this.database = database;
  }

  /**
   * Creates a database named {@code prefix} and a random suffix, starts A on it with a token for
   * each of {@code roles}, then B.
   */
  static ConsoleReplicas start(String prefix, Role... roles) throws Exception {
    ConsoleReplicas r = new ConsoleReplicas(TestDb.create(prefix));
    try {
      r.a = TestServer.start(TestDb.url(r.database));
      for (Role role : roles) {
        r.a.token(role);
      }
      r.b = NeguardServer.start(r.replica("b"));
      return r;
    } catch (Exception | Error e) {
      r.close();
      throw e;
    }
  }

  /** Replica A as the tests' server: its administrator's and roles' tokens. */
  TestServer first() {
    return a;
  }

  URI a() {
    return a.server.url();
  }

  URI b() {
    return b.url();
  }

  List<URI> both() {
    return List.of(a(), b());
  }

  /** The replica that is not {@code replica}. */
  URI other(URI replica) {
    return replica.equals(a()) ? b() : a();
  }

  /**
   * The settings of another replica named {@code name}: A's, with its own data directory, the
   * same database and administrator.
   */
  ServerConfig replica(String name) {
    return ServerConfig.builder(a.dir.resolve("data-" + name)).port(0).quiet(true)
        .database(TestDb.url(database), "postgres", "")
        .adminPasswordFile(a.dir.resolve("admin-password")).build();
  }

  /** Both replicas stopped and started again on the same database, A first. */
  void restartBoth() throws Exception {
    a = a.restart();
    b.close();
    b = NeguardServer.start(replica("b"));
  }

  /** {@code request} sent as it is: redirects are answers, not followed. */
  static HttpResponse<String> send(HttpRequest request) {
    try {
      return RAW.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A new connection to the replicas' database. */
  Connection connect() throws Exception {
    return TestDb.connect(database);
  }

  /** The rows {@code sql} selects, with {@code args} bound in order. */
  List<Map<String, Object>> rows(String sql, Object... args) throws Exception {
    return TestDb.rows(connect(), sql, args);
  }

  /** The value of {@code sql}'s one column {@code count} in its first row. */
  long count(String sql, Object... args) throws Exception {
    return ((Number) rows(sql, args).get(0).get("count")).longValue();
  }

  /** Runs {@code sql}, with {@code args} bound in order; the number of rows it changed. */
  int update(String sql, Object... args) throws Exception {
    try (Connection c = connect(); PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      return p.executeUpdate();
    }
  }

  @Override
  public void close() throws Exception {
    try {
      if (b != null) {
        b.close();
      }
    } finally {
      TestDb.closeAndDrop(a, database);
    }
  }
}
