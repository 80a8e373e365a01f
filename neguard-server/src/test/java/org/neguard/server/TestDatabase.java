package org.neguard.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh PostgreSQL database per test class on 127.0.0.1:5432 (trust authentication; .ci/run
 * starts it): created with a random name, dropped afterwards. Without PostgreSQL the test class
 * is skipped, except in CI (CI=true), where that fails.
 */
public final class TestDatabase {
  static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  private TestDatabase() {}

  /** Creates a database named {@code prefix} and 12 random hex digits; returns its name. */
  public static String create(String prefix) throws SQLException {
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
    return "jdbc:postgresql://127.0.0.1:5432/" + name;
  }

  /** Drops database {@code name}, if it was created (null: nothing to do). */
  public static void drop(String name) throws SQLException {
    if (name == null) {
      return;
    }
    try (Connection c = DriverManager.getConnection(ADMIN_URL, "postgres", "");
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }
}
