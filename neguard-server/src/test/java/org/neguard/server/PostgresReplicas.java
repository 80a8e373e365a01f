package org.neguard.server;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Two servers on one new PostgreSQL database (127.0.0.1:5432; see {@link TestDb#create}): the
 * test server and a replica with its own data directory and the same admin password, as two
 * replicas behind a balancer would be. {@link #close} stops both and drops the database.
 */
public final class PostgresReplicas implements AutoCloseable {
  public final String database;
  public final TestServer s;
  public final NeguardServer replica;

  private PostgresReplicas(String database, TestServer s, NeguardServer replica) {
    this.database = database;
    this.s = s;
    this.replica = replica;
  }

  /** Starts both on a database named {@code prefix} and random hex digits. */
  public static PostgresReplicas start(String prefix) throws Exception {
    String database = TestDb.create(prefix);
    TestServer s = null;
    try {
      String url = TestDb.url(database);
      s = TestServer.start(url);
      NeguardServer replica = NeguardServer.start(ServerConfig.builder(s.dir.resolve("data2"))
          .port(0).quiet(true).database(url, "postgres", "")
          .adminPasswordFile(s.dir.resolve("admin-password")).build());
      return new PostgresReplicas(database, s, replica);
    } catch (Exception | Error e) {
      TestDb.closeAndDrop(s, database);
      throw e;
    }
  }

  /** A new connection to the database. */
  public Connection db() throws SQLException {
    return TestDb.connect(database);
  }

  @Override
  public void close() throws Exception {
    try {
      replica.close();
    } finally {
      TestDb.closeAndDrop(s, database);
    }
  }
}
