package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestDb;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Several devices' rows are locked in Java's string order whatever the database's collation, on
 * a real PostgreSQL whose database sorts as {@code en-US} does (ICU): there {@code a1} sorts
 * before {@code B1}, while the last-seen batch and a deployment's targets, sorted in Java, take
 * {@code B1} first. Locked with {@code ORDER BY id}, the two waited for each other.
 */
@DisplayName("REC-2 OBJ-1 devices' rows are locked in one order whatever the collation")
class DeviceRowsPostgresTest {
  private String db;
  private JdbcClient jdbc;
  private TransactionTemplate tx;
  private ExecutorService thread;

  @BeforeEach
  void createDatabase() throws Exception {
    db = TestDb.createMigrated("nga_devrows_",
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    DataSource ds = TestDb.dataSource(db);
    jdbc = JdbcClient.create(ds);
    tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
    TestDb.insertDevice(db, "a1");
    TestDb.insertDevice(db, "B1");
    thread = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void dropDatabase() throws Exception {
    thread.shutdownNow();
    TestDb.drop(db);
  }

  @Test
  void databaseOrder_differsFromJavas_here() {
    assertThat(jdbc.sql("SELECT id FROM devices ORDER BY id").query(String.class).list())
        .as("the premise: this database's collation puts a1 first").containsExactly("a1",
            "B1");
    assertThat(List.of("a1", "B1").stream().sorted().toList())
        .containsExactly("B1", "a1");
  }

  @Test
  void lockInOrder_againstABatchInJavaOrder_bothCommit() throws Exception {
    try (Connection batch = TestDb.connect(db)) {
      batch.setAutoCommit(false);
      try (Statement st = batch.createStatement()) {
        st.execute("SET lock_timeout = '30s'");
        // The last-seen batch (LastSeen, Java order): B1 first.
        st.executeUpdate("UPDATE devices SET last_seen = now() WHERE id = 'B1'");
      }
      Future<List<String>> locker = thread.submit(() -> tx.execute(s ->
          DeviceRows.lockInOrder(jdbc, List.of("a1", "B1", "a1"))));
      TestDb.awaitBlocked(() -> TestDb.connect(db), "the locker",
          b -> b.statement().contains("FROM devices"));
      // Had the locker taken a1 first (the database's order), this would close a cycle.
      try (Statement st = batch.createStatement()) {
        assertThat(st.executeUpdate("UPDATE devices SET last_seen = now() WHERE id = 'a1'"))
            .isEqualTo(1);
      }
      batch.commit();
      assertThat(locker.get(60, TimeUnit.SECONDS)).containsExactly("B1", "a1");
    }
  }

  @Test
  void lockInOrder_unknownIdsLeftOut() {
    List<String> locked = tx.execute(s -> DeviceRows.lockInOrder(jdbc, List.of("nobody",
        "a1")));
    assertThat(locked).containsExactly("a1");
  }
}
