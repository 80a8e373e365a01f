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
import java.util.UUID;
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
    String name = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "");
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
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
}
