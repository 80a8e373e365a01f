package org.neguard.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * Throw-away databases on the PostgreSQL of the tests (127.0.0.1:5432, user postgres, trust
 * authentication; .ci/run starts one), and plain JDBC queries for tests that look behind the API.
 */
public final class TestDb {
  public static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
  /** The database the tests connect to for CREATE and DROP DATABASE. */
  public static final String ADMIN_URL = PG + "test";

  private TestDb() {}

  /**
   * Creates a database named {@code prefix} and 12 random hex digits. Without PostgreSQL the
   * calling test is skipped, except under CI ({@code CI=true}), where it fails.
   *
   * @return its name
   */
  public static String create(String prefix) {
    return create(prefix, "");
  }

  /** As {@link #create(String)}, with {@code options} after {@code CREATE DATABASE name}. */
  public static String create(String prefix, String options) {
    String name = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name + (options.isEmpty() ? "" : " " + options));
    } catch (SQLException e) {
      String message = "PostgreSQL is not reachable on 127.0.0.1:5432 (" + e.getMessage()
          + "); .ci/run starts it";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(message, e);
      }
      Assumptions.abort(message);
    }
    return name;
  }

  /**
   * Creates a database as {@link #create} does, with the server's migrations applied and no
   * server: for tests of one class's statements against the real schema.
   *
   * @return its name
   */
  public static String createMigrated(String prefix) {
    return createMigrated(prefix, "");
  }

  /** As {@link #createMigrated(String)}, with {@code options} as {@link #create(String, String)}. */
  public static String createMigrated(String prefix, String options) {
    String name = create(prefix, options);
    org.flywaydb.core.Flyway.configure().dataSource(url(name), "postgres", "")
        .locations("classpath:db/migration").load().migrate();
    return name;
  }

  /** A Spring data source on database {@code name}, one new connection per use. */
  public static javax.sql.DataSource dataSource(String name) throws SQLException {
    return new org.springframework.jdbc.datasource.SimpleDriverDataSource(
        new org.postgresql.Driver(), url(name), "postgres", "");
  }

  /** Inserts device {@code id} (NE type henb, trusted) with only the columns every device has. */
  public static void insertDevice(String name, String id) throws SQLException {
    try (Connection c = connect(name); PreparedStatement p = c.prepareStatement(
        "INSERT INTO devices (id, ne_type, trust_state, enrolled_at, enrollment_token,"
            + " cert_serial, cert_not_after) VALUES (?, 'henb', 'trusted', now(), ?, ?,"
            + " now() + interval '1 day')")) {
      p.setString(1, id);
      p.setString(2, "t-" + id);
      p.setString(3, "s-" + id);
      p.executeUpdate();
    }
  }

  /** The JDBC URL of database {@code name}. */
  public static String url(String name) {
    return PG + name;
  }

  /** Drops {@code name}, closing its connections; nothing when it is null. */
  public static void drop(String name) throws SQLException {
    if (name == null) {
      return;
    }
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "");
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** Closes {@code server} when there is one, then drops {@code name} even if closing failed. */
  public static void closeAndDrop(AutoCloseable server, String name) throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      drop(name);
    }
  }

  /** A connection to database {@code name}. */
  public static Connection connect(String name) throws SQLException {
    return DriverManager.getConnection(PG + name, "postgres", "");
  }

  /**
   * Begins a transaction on {@code c} that holds the row locks of {@code selectForUpdate} (with
   * {@code args}) until it ends: another replica's transaction, as a lock test needs one. Works
   * on H2 and PostgreSQL; {@code c} stays open.
   */
  public static void holdLocks(Connection c, String selectForUpdate, Object... args)
      throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement p = c.prepareStatement(selectForUpdate)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      p.executeQuery().close();
    }
  }

  /** Rows of {@code sql} on {@code c} (closed after), each column by its lower-case name. */
  public static List<Map<String, Object>> rows(Connection c, String sql, Object... args)
      throws SQLException {
    try (c; PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      List<Map<String, Object>> out = new ArrayList<>();
      try (ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> row = new HashMap<>();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(), rs.getObject(i));
          }
          out.add(row);
        }
      }
      return out;
    }
  }

  /** A timestamp column's value (H2 gives OffsetDateTime, PostgreSQL Timestamp). */
  public static Instant instant(Object column) {
    return column instanceof java.sql.Timestamp t ? t.toInstant()
        : ((java.time.OffsetDateTime) column).toInstant();
  }

  /**
   * A session of a test's database waiting for a lock.
   *
   * @param id its id (PostgreSQL's pid, H2's session id)
   * @param statement what it runs
   * @param blockers the sessions it waits for
   * @param wrote whether its transaction has changed or locked a row already
   */
  public record Blocked(String id, String statement, Set<String> blockers, boolean wrote) {}

  /**
   * The sessions of {@code c}'s database now waiting for a lock held by another session:
   * PostgreSQL's pg_stat_activity or H2's INFORMATION_SCHEMA.SESSIONS ({@code c} is closed
   * after). H2 builds that table from live sessions without a lock, and two of its races would
   * mislead a test, so both are dealt with here:
   * <ul>
   *   <li>It reads a session's state and its blocker one after the other; a waiter woken in
   *       between (every commit in the database wakes every waiter, which then waits again)
   *       shows as BLOCKED by nobody. Such a row is left out: a test that took it for the wait
   *       it expected found no blocker (DeploymentEngineTest failed so in CI).
   *   <li>A session whose transaction ends while the table is built fails the whole read
   *       (General error 50000, a NullPointerException inside H2 2.3); it is read again.
   * </ul>
   */
  public static List<Blocked> blocked(Connection c) throws SQLException {
    try (c) {
      boolean h2 = c.getMetaData().getDatabaseProductName().startsWith("H2");
      String sql = h2
          ? "SELECT CAST(session_id AS VARCHAR) AS id, executing_statement AS statement,"
              + " CAST(blocker_id AS VARCHAR) AS blockers, contains_uncommitted AS wrote FROM"
              + " information_schema.sessions WHERE session_state = 'BLOCKED'"
          : "SELECT CAST(pid AS VARCHAR) AS id, query AS statement,"
              + " array_to_string(pg_blocking_pids(pid), ',') AS blockers,"
              + " backend_xid IS NOT NULL AS wrote FROM pg_stat_activity"
              + " WHERE datname = current_database() AND wait_event_type = 'Lock'";
      for (int attempt = 1; ; attempt++) {
        try (PreparedStatement p = c.prepareStatement(sql); ResultSet rs = p.executeQuery()) {
          List<Blocked> out = new ArrayList<>();
          while (rs.next()) {
            String blockers = rs.getString("blockers");
            if (blockers != null && !blockers.isEmpty()) {
              out.add(new Blocked(rs.getString("id"), String.valueOf(rs.getString("statement")),
                  Set.of(blockers.split(",")), rs.getBoolean("wrote")));
            }
          }
          return out;
        } catch (SQLException e) {
          if (!h2 || e.getErrorCode() != 50_000 || attempt == 100) {
            throw e;
          }
        }
      }
    }
  }

  /**
   * Until a session matching {@code which} waits for a lock, polled on connections from {@code
   * db}; that session. Fails after 60 s naming {@code what} and the sessions then waiting.
   */
  public static Blocked awaitBlocked(Callable<Connection> db, String what,
      Predicate<Blocked> which) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Optional<Blocked> b = blocked(db.call()).stream().filter(which).findFirst();
      if (b.isPresent()) {
        return b.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no session waits for a lock as " + what + " would; waiting: "
            + blocked(db.call()));
      }
      Thread.sleep(2);
    }
  }
}
