package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The lock-wait probe the race tests stand on. */
@DisplayName("the tests' lock-wait probe")
class TestDbTest {

  @Test
  @DisplayName("a waiter woken while the lock is still held is never reported waiting for"
      + " nobody")
  void blocked_waiterWokenWhileLockHeld_alwaysNamesItsBlocker() throws Exception {
    String url = "jdbc:h2:mem:probe" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=60000";
    ExecutorService threads = Executors.newFixedThreadPool(2);
    AtomicBoolean stop = new AtomicBoolean();
    // Closed in reverse order: the holder first, which frees the waiter, then the waiter.
    try (Connection waiter = DriverManager.getConnection(url, "sa", "");
        Connection hold = DriverManager.getConnection(url, "sa", "")) {
      try (Statement st = hold.createStatement()) {
        st.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
        st.execute("INSERT INTO t VALUES (1, 0), (2, 0)");
      }
      hold.setAutoCommit(false);
      try (Statement st = hold.createStatement()) {
        st.execute("SELECT v FROM t WHERE id = 1 FOR UPDATE");
      }
      Future<?> waits = threads.submit(() -> {
        try (Statement st = waiter.createStatement()) {
          return st.execute("UPDATE t SET v = v + 1 WHERE id = 1");
        }
      });
      String holder = TestDb.awaitBlocked(() -> DriverManager.getConnection(url, "sa", ""),
          "the waiter", b -> true).blockers().iterator().next();
      // A statement of the holder's that fails is undone to its savepoint, and H2 ends every
      // wait for the holder then: the waiter looks again and waits again, the moment when a
      // session's state and its blocker can be read apart.
      Future<?> undone = threads.submit(() -> {
        try (Statement st = hold.createStatement()) {
          while (!stop.get()) {
            try {
              st.executeUpdate("INSERT INTO t VALUES (2, 0)");
            } catch (java.sql.SQLException duplicate) {
              // the point: a statement undone inside the holder's transaction
            }
          }
        }
        return null;
      });
      int seen = 0;
      try {
        for (int i = 0; i < 3_000; i++) {
          for (TestDb.Blocked b : TestDb.blocked(DriverManager.getConnection(url, "sa", ""))) {
            assertThat(b.blockers()).as("read %d: %s", i, b).containsExactly(holder);
            seen++;
          }
        }
      } finally {
        stop.set(true);
        undone.get(60, TimeUnit.SECONDS);
      }
      assertThat(seen).as("the waiter was seen waiting").isPositive();
      hold.commit();
      waits.get(60, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @DisplayName("sessions whose transactions end while the table is read do not fail the read")
  void blocked_transactionsEndingDuringRead_readsAgain() throws Exception {
    String url = "jdbc:h2:mem:probe" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    ExecutorService threads = Executors.newSingleThreadExecutor();
    AtomicBoolean stop = new AtomicBoolean();
    try (Connection other = DriverManager.getConnection(url, "sa", "")) {
      try (Statement st = other.createStatement()) {
        st.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
        st.execute("INSERT INTO t VALUES (1, 0)");
      }
      // Each update a transaction of its own, begun and ended while the sessions are read: H2
      // 2.3 reads a session's transaction twice, and one that ended in between fails the read.
      Future<?> commits = threads.submit(() -> {
        try (Statement st = other.createStatement()) {
          while (!stop.get()) {
            st.executeUpdate("UPDATE t SET v = v + 1 WHERE id = 1");
          }
        }
        return null;
      });
      try {
        for (int i = 0; i < 3_000; i++) {
          assertThat(TestDb.blocked(DriverManager.getConnection(url, "sa", ""))).isEmpty();
        }
      } finally {
        stop.set(true);
        commits.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
