package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A server refuses to start on a database that a newer version migrated (SRC-1): its migrations
 * may add rules that this version's code breaks (V21), so an older replica must not run against
 * it (docs/DEPLOYMENTS.md, "Upgrading replicas: stop them all first").
 */
@DisplayName("SRC-1 a database migrated by a newer version refuses the older server")
class SchemaVersionTest {
  Path dir;
  String pgName;

  @BeforeEach
  void dir() throws Exception {
    dir = Files.createTempDirectory("neguard-schema-test-");
    TestServer.prepare(dir, TestPki.create());
  }

  @AfterEach
  void clean() throws Exception {
    try {
      TestDb.drop(pgName);
    } finally {
      TestServer.delete(dir);
    }
  }

  @Test
  void embeddedDatabase_futureMigration_refusedThenStartsWithoutIt() throws Exception {
    ServerConfig config = builder().build();
    refusedWithFutureMigration(config,
        () -> DriverManager.getConnection(NeguardServer.embeddedUrl(dir.resolve("data/db")),
            "sa", ""));
  }

  @Test
  void postgres_futureMigration_refusedThenStartsWithoutIt() throws Exception {
    pgName = TestDb.create("neguard_schema_");
    ServerConfig config = builder().database(TestDb.url(pgName), "postgres", "").build();
    refusedWithFutureMigration(config,
        () -> DriverManager.getConnection(TestDb.url(pgName), "postgres", ""));
  }

  private ServerConfig.Builder builder() {
    return ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password"));
  }

  private interface Db {
    Connection open() throws SQLException;
  }

  private static void refusedWithFutureMigration(ServerConfig config, Db db) throws Exception {
    try (NeguardServer first = NeguardServer.start(config)) {
      assertThat(new Http(first.url()).get("/actuator/health", null).status()).isEqualTo(200);
    }
    // The row Flyway writes for an applied versioned migration, as a newer version would.
    try (Connection c = db.open(); Statement st = c.createStatement()) {
      st.executeUpdate("INSERT INTO flyway_schema_history (installed_rank, version, description,"
          + " type, script, checksum, installed_by, installed_on, execution_time, success)"
          + " SELECT MAX(installed_rank) + 1, '999', 'future', 'SQL', 'V999__future.sql', 0,"
          + " 'neguard', CURRENT_TIMESTAMP, 1, TRUE FROM flyway_schema_history");
    }
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> NeguardServer.start(config));
    assertThat(e).as("started on a database holding migration 999").isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
    assertThat(e.getMessage()).contains("migration 999").contains("newer NEGuard server")
        .contains("Upgrading replicas: stop them all first").doesNotContain("repair");

    try (Connection c = db.open(); Statement st = c.createStatement()) {
      assertThat(st.executeUpdate("DELETE FROM flyway_schema_history WHERE version = '999'"))
          .isEqualTo(1);
    }
    try (NeguardServer again = NeguardServer.start(config)) {
      assertThat(new Http(again.url()).get("/actuator/health", null).status()).isEqualTo(200);
    }
  }
}
