package org.neguard.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.neguard.server.TestServer.Role;

/**
 * Two replicas of one server on one new PostgreSQL database (127.0.0.1:5432; see {@link
 * TestDb#create}), as two replicas behind a balancer would be: A, the tests' server (a {@link
 * TestServer}, with its administrator and role tokens), and B (A's settings, its own data
 * directory). A test that plays a balancer which is not sticky sends each request to the replica
 * it names ({@link #send}: no redirects followed). {@link #close} stops both and drops the
 * database. Not thread-safe: a test drives it from one thread; {@link #send} and {@link #db} may
 * be called from any.
 */
public final class PostgresReplicas implements AutoCloseable {
  private static final HttpClient RAW =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private final String database;
  private TestServer a;
  private NeguardServer b;

  private PostgresReplicas(String database) {
    this.database = database;
  }

  /**
   * Creates a database named {@code prefix} and a random suffix, starts A on it with a token for
   * each of {@code roles}, then B.
   */
  public static PostgresReplicas start(String prefix, Role... roles) throws Exception {
    PostgresReplicas r = new PostgresReplicas(TestDb.create(prefix));
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
  public TestServer first() {
    return a;
  }

  /** Replica B. */
  public NeguardServer second() {
    return b;
  }

  /** The database's name. */
  public String database() {
    return database;
  }

  public URI a() {
    return a.server.url();
  }

  public URI b() {
    return b.url();
  }

  public List<URI> both() {
    return List.of(a(), b());
  }

  /** The replica that is not {@code replica}. */
  public URI other(URI replica) {
    return replica.equals(a()) ? b() : a();
  }

  /**
   * The settings of another replica named {@code name}: A's, with its own data directory, the
   * same database and administrator.
   */
  public ServerConfig replica(String name) {
    return ServerConfig.builder(a.dir.resolve("data-" + name)).port(0).quiet(true)
        .database(TestDb.url(database), "postgres", "")
        .adminPasswordFile(a.dir.resolve("admin-password")).build();
  }

  /** Both replicas stopped and started again on the same database, A first. */
  public void restartBoth() throws Exception {
    a = a.restart();
    b.close();
    b = NeguardServer.start(replica("b"));
  }

  /** {@code request} sent as it is: redirects are answers, not followed. */
  public static HttpResponse<String> send(HttpRequest request) {
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
  public Connection db() throws SQLException {
    return TestDb.connect(database);
  }

  /** The rows {@code sql} selects, with {@code args} bound in order. */
  public List<Map<String, Object>> rows(String sql, Object... args) throws Exception {
    return TestDb.rows(db(), sql, args);
  }

  /** The value of {@code sql}'s one column {@code count} in its first row. */
  public long count(String sql, Object... args) throws Exception {
    return ((Number) rows(sql, args).get(0).get("count")).longValue();
  }

  /** Runs {@code sql}, with {@code args} bound in order; the number of rows it changed. */
  public int update(String sql, Object... args) throws Exception {
    try (Connection c = db(); PreparedStatement p = c.prepareStatement(sql)) {
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
