package org.neguard.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.neguard.server.Http;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.AbstractDataSource;

/**
 * When each API token was last used (issue 18, migration V14): recorded on use, shown by {@code
 * GET /api/tokens}, written at most once a minute per token, and never twice in a minute nor
 * backwards when several replicas touch it at once (the conditional UPDATE). Run on the embedded
 * database ({@link TokenLastUseTest}) and on PostgreSQL ({@link TokenLastUsePostgresTest}).
 */
abstract class TokenLastUseCases {
  static TestServer s;
  private static String database;

  static void startOn(String db) throws Exception {
    database = db;
    s = TestServer.start(db == null ? null : TestDb.url(db));
  }

  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  /** The server's database, as another replica would reach it. */
  static JdbcClient jdbc() {
    DataSource ds = new AbstractDataSource() {
      @Override
      public Connection getConnection() throws java.sql.SQLException {
        return s.db();
      }

      @Override
      public Connection getConnection(String user, String password) {
        throw new UnsupportedOperationException();
      }
    };
    return JdbcClient.create(ds);
  }

  static Instant lastUsed(String id) throws Exception {
    try (Connection c = s.db(); PreparedStatement p = c.prepareStatement(
        "SELECT last_used_at FROM api_tokens WHERE id = ?")) {
      p.setString(1, id);
      try (ResultSet rs = p.executeQuery()) {
        assertThat(rs.next()).isTrue();
        OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
      }
    }
  }

  static Http.Response mint(String name) {
    Http.Response r = s.http.post("/api/tokens", s.token(Role.AUDITOR), Map.of("name", name));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r;
  }

  @Test
  void tokenUse_recordsLastUse_listedByApi_notRewrittenWithinAMinute() throws Exception {
    Http.Response minted = mint("last-use");
    String id = minted.json().path("id").asText();
    String token = minted.json().path("token").asText();
    assertThat(lastUsed(id)).isNull();
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusMillis(1);
    assertThat(s.http.get("/api/auth/whoami", token).status()).isEqualTo(200);
    Instant first = lastUsed(id);
    assertThat(first).isNotNull().isAfterOrEqualTo(before).isBeforeOrEqualTo(Instant.now());
    // Fifty more requests within the minute: no write (the value stays the first's).
    for (int i = 0; i < 50; i++) {
      assertThat(s.http.get("/api/auth/whoami", token).status()).isEqualTo(200);
    }
    assertThat(lastUsed(id)).isEqualTo(first);
    // The API's list (and so 'neguard user token list') shows it; an unused token has none.
    String unusedId = mint("never-used").json().path("id").asText();
    boolean seen = false;
    for (var t : s.http.get("/api/tokens?all=true", s.adminToken()).json()) {
      if (t.path("id").asText().equals(id)) {
        seen = true;
        assertThat(Instant.parse(t.path("lastUsedAt").asText())).isEqualTo(first);
      } else if (t.path("id").asText().equals(unusedId)) {
        assertThat(t.has("lastUsedAt")).isFalse();
      }
    }
    assertThat(seen).isTrue();
  }

  @Test
  void touch_replicasAtOnce_oneWritePerMinute_neverBackwards() throws Exception {
    String id = mint("replicas").json().path("id").asText();
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    TokenStore a = new TokenStore(jdbc());
    TokenStore b = new TokenStore(jdbc());
    assertThat(a.touch(id, t0)).isTrue();
    // Another replica, which has not written it itself, 10 s later: the database's condition.
    assertThat(b.touch(id, t0.plusSeconds(10))).isFalse();
    // The same replica 30 s later: its own memory, no statement at all.
    assertThat(a.touch(id, t0.plusSeconds(30))).isFalse();
    assertThat(lastUsed(id)).isEqualTo(t0);
    // Replica b tried at +10 s: its next statement is a minute after that try.
    assertThat(b.touch(id, t0.plusSeconds(61))).isFalse();
    assertThat(b.touch(id, t0.plusSeconds(71))).isTrue();
    assertThat(lastUsed(id)).isEqualTo(t0.plusSeconds(71));
    // A late write of an older use (a slow replica) never moves it backwards.
    assertThat(new TokenStore(jdbc()).touch(id, t0.plusSeconds(45))).isFalse();
    assertThat(lastUsed(id)).isEqualTo(t0.plusSeconds(71));

    // Eight replicas, each new to the token, at the same instant two minutes on: one writes.
    Instant t2 = t0.plus(Duration.ofMinutes(3));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<Boolean>> writes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        TokenStore replica = new TokenStore(jdbc());
        writes.add(pool.submit(() -> {
          go.await();
          return replica.touch(id, t2);
        }));
      }
      go.countDown();
      int written = 0;
      for (Future<Boolean> w : writes) {
        written += w.get() ? 1 : 0;
      }
      assertThat(written).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(lastUsed(id)).isEqualTo(t2);
    assertThat(OffsetDateTime.ofInstant(t2, ZoneOffset.UTC).toInstant()).isEqualTo(t2);
  }
}
