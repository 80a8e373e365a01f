package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.LockRaceDb;

/**
 * Several devices' rows are locked in Java's string order whatever the database's collation, on
 * a real PostgreSQL whose database sorts as {@code en-US} does (ICU): there {@code a1} sorts
 * before {@code B1}, while the last-seen batch and a deployment's targets, sorted in Java, take
 * {@code B1} first. Locked with {@code ORDER BY id}, the two waited for each other.
 */
@DisplayName("REC-2 OBJ-1 devices' rows are locked in one order whatever the collation")
class DeviceRowsPostgresTest {
  private LockRaceDb db;

  @BeforeEach
  void createDatabase() throws Exception {
    db = LockRaceDb.create("nga_devrows_",
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", "a1", "B1");
  }

  @AfterEach
  void dropDatabase() throws Exception {
    db.close();
  }

  @Test
  void databaseOrder_differsFromJavas_here() {
    assertThat(db.jdbc.sql("SELECT id FROM devices ORDER BY id").query(String.class).list())
        .as("the premise: this database's collation puts a1 first").containsExactly("a1",
            "B1");
    assertThat(List.of("a1", "B1").stream().sorted().toList())
        .containsExactly("B1", "a1");
  }

  @Test
  void lockInOrder_againstABatchInJavaOrder_bothCommit() throws Exception {
    try (Connection batch = db.holder()) {
      // The last-seen batch (LastSeen, Java order): B1 first.
      batch.createStatement().executeUpdate("UPDATE devices SET last_seen = now() WHERE id ="
          + " 'B1'");
      Future<List<String>> locker = db.inTransaction(s ->
          DeviceRows.lockInOrder(db.jdbc, List.of("a1", "B1", "a1")));
      db.awaitBlocked("the locker", b -> b.statement().contains("FROM devices"));
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
    List<String> locked = db.tx.execute(s -> DeviceRows.lockInOrder(db.jdbc, List.of("nobody",
        "a1")));
    assertThat(locked).containsExactly("a1");
  }
}
