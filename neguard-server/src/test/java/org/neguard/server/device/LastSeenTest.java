package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.server.TestDb;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The last-seen flush against other holders of device rows, on H2 and PostgreSQL: a second
 * connection holds one device's row while the flush waits for it, a probe finds which of the
 * flush's other rows are free.
 */
final class LastSeenTest {
  private static final String UPDATE = "UPDATE devices SET last_seen";

  /**
   * Two device ids that a fresh {@link ConcurrentHashMap} (the flush's pending map) walks in
   * descending order, sorted: without sorting, a flush would update the higher one first.
   */
  private static List<String> hashOrderDescending() {
    for (int i = 0; ; i++) {
      Map<String, Boolean> m = new ConcurrentHashMap<>();
      m.put("ls-" + i, true);
      m.put("ls-" + (i + 1), true);
      List<String> order = new ArrayList<>(m.keySet());
      if (order.get(0).compareTo(order.get(1)) > 0) {
        return List.of(order.get(1), order.get(0));
      }
    }
  }

  /**
   * Holds {@code held}'s row on a second connection, flushes {@code devices} (seen in that
   * order) on another thread until it waits for that row, and returns which of {@code devices}
   * a probe could then lock; commits the hold, and checks the flush wrote every row.
   */
  private static List<String> freeWhileTheFlushWaits(String database, List<String> devices,
      String held) throws Exception {
    String pg = "postgresql".equals(database) ? TestDb.create("lastseen") : null;
    String url = pg != null ? TestDb.url(pg)
        : "jdbc:h2:mem:ls" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=60000";
    DriverManagerDataSource ds = new DriverManagerDataSource(url, pg == null ? "sa" : "postgres",
        "");
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try {
      try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
        st.execute("CREATE TABLE devices (id VARCHAR(64) PRIMARY KEY,"
            + " last_seen TIMESTAMP WITH TIME ZONE)");
        for (String d : devices) {
          st.execute("INSERT INTO devices (id) VALUES ('" + d + "')");
        }
      }
      LastSeen seen = new LastSeen(new JdbcTemplate(ds), new SimpleMeterRegistry(),
          new DataSourceTransactionManager(ds));
      devices.forEach(seen::seen);
      List<String> free = new ArrayList<>();
      try (Connection hold = ds.getConnection(); Connection probe = ds.getConnection()) {
        hold.setAutoCommit(false);
        lock(hold, "SELECT id FROM devices WHERE id = '" + held + "' FOR UPDATE", null);
        Future<Integer> flush = threads.submit(seen::flush);
        TestDb.awaitBlocked(ds::getConnection, "the flush at " + held,
            b -> b.statement().contains(UPDATE));
        probe.setAutoCommit(false);
        lock(probe, "SELECT id FROM devices WHERE id <> '" + held + "' ORDER BY id FOR UPDATE"
            + " SKIP LOCKED", free);
        probe.rollback();
        hold.commit();
        assertThat(flush.get(60, TimeUnit.SECONDS)).isEqualTo(devices.size());
      }
      assertThat(TestDb.rows(ds.getConnection(), "SELECT id FROM devices WHERE last_seen IS"
          + " NULL")).as("every row written once the hold is gone").isEmpty();
      return free;
    } finally {
      threads.shutdownNow();
      if (pg != null) {
        TestDb.drop(pg);
      } else {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
          st.execute("SHUTDOWN");
        }
      }
    }
  }

  private static void lock(Connection c, String sql, List<String> into) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql); ResultSet rs = p.executeQuery()) {
      while (rs.next()) {
        if (into != null) {
          into.add(rs.getString(1));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "postgresql"})
  @DisplayName("REC-2 a flush updates its rows in id order, not the map's: waiting for the"
      + " lower id's row it holds no higher one, so a holder that locks in id order (a recovery"
      + " campaign) never waits for it in a cycle")
  void flush_firstRowHeld_waitsThereHoldingNoOther(String database) throws Exception {
    List<String> d = hashOrderDescending();

    List<String> free = freeWhileTheFlushWaits(database, List.of(d.get(1), d.get(0)), d.get(0));

    assertThat(free).as("%s not yet locked by the flush", d.get(1)).containsExactly(d.get(1));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "postgresql"})
  @DisplayName("REC-2 a flush is one transaction on either database, however long: waiting for"
      + " its last row it still holds every row it updated (the PostgreSQL driver alone would"
      + " commit a long batch in parts)")
  void flush_lastRowHeld_holdsEveryRowItWrote(String database) throws Exception {
    List<String> d = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      d.add(String.format("lt-%03d", i));
    }

    List<String> free = freeWhileTheFlushWaits(database, d, d.get(d.size() - 1));

    assertThat(free).as("rows updated and still locked by the flush").isEmpty();
  }
}
