package org.neguard.server;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A throw-away, migrated PostgreSQL database for lock-order races below the API: one side is a
 * plain connection the test drives statement by statement ({@link #holder}), the other the
 * server's code in a Spring transaction on a thread of its own ({@link #inTransaction}).
 */
public final class LockRaceDb implements AutoCloseable {
  public final String name;
  public final DataSource dataSource;
  public final JdbcClient jdbc;
  public final DataSourceTransactionManager transactions;
  public final TransactionTemplate tx;
  private final ExecutorService thread = Executors.newSingleThreadExecutor();

  private LockRaceDb(String name) throws SQLException {
    this.name = name;
    this.dataSource = TestDb.dataSource(name);
    this.jdbc = JdbcClient.create(dataSource);
    this.transactions = new DataSourceTransactionManager(dataSource);
    this.tx = new TransactionTemplate(transactions);
  }

  /** A new database ({@link TestDb#createMigrated(String, String)}) with {@code devices}. */
  public static LockRaceDb create(String prefix, String options, String... devices)
      throws SQLException {
    LockRaceDb db = new LockRaceDb(TestDb.createMigrated(prefix, options));
    for (String d : devices) {
      TestDb.insertDevice(db.name, d);
    }
    return db;
  }

  /** A connection in a transaction of its own, that gives up a lock wait after 30 s. */
  public Connection holder() throws SQLException {
    Connection c = TestDb.connect(name);
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("SET lock_timeout = '30s'");
    }
    return c;
  }

  /** Runs {@code work} in a transaction on this database's thread. */
  public <T> Future<T> inTransaction(TransactionCallback<T> work) {
    return thread.submit(() -> tx.execute(work));
  }

  /** {@link TestDb#awaitBlocked} on this database. */
  public TestDb.Blocked awaitBlocked(String what, Predicate<TestDb.Blocked> which)
      throws Exception {
    return TestDb.awaitBlocked(() -> TestDb.connect(name), what, which);
  }

  @Override
  public void close() throws SQLException {
    thread.shutdownNow();
    TestDb.drop(name);
  }
}
