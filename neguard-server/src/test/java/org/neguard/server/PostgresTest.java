package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestServer.Role;

/**
 * The same server on a real PostgreSQL (127.0.0.1:5432, trust authentication; .ci/run starts
 * one): the shared migrations, verified ingest, conflicts, the audit chain under concurrent
 * appends and tampering in the database, and data kept across a restart. Each run creates its
 * own database and drops it.
 */
@DisplayName("SRC-1 SRC-2 SRC-3 storage on PostgreSQL")
class PostgresTest {
  static String database;
  static String url;
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    database = TestDatabase.create("neguard_it_");
    url = TestDatabase.url(database);
    s = TestServer.start(url);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
    } finally {
      TestDatabase.drop(database);
    }
  }

  @Test
  void ingestConflictAuditAndRestart_onPostgres() throws Exception {
    Path work = Files.createDirectories(s.dir.resolve("work"));
    String pub = s.token(Role.PUBLISHER);
    Path good = Bundles.signed(work, "pg-pkg", "1.0.0", 1, 20_000, s.pki.codeSigner().material());
    assertThat(s.http.upload(good, pub).status()).isEqualTo(201);
    Path other = Bundles.signed(work, "pg-pkg", "1.0.0", 2, 20_000, s.pki.codeSigner().material());
    assertThat(s.http.upload(other, pub).code()).isEqualTo("CONFLICT");
    assertThat(s.http.upload(Bundles.tampered(good, 1, 20_000), pub).code())
        .isEqualTo("DIGEST_MISMATCH");

    // Concurrent appends through the row lock keep one chain.
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      fs.add(pool.submit(() -> s.http.get("/api/users", pub)));
    }
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    JsonNode v = s.http.get("/api/audit/verify", s.adminToken()).json();
    assertThat(v.path("intact").asBoolean()).as("%s", v).isTrue();

    // A row altered in the database is named.
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 5");
      JsonNode broken = s.http.get("/api/audit/verify", s.adminToken()).json();
      assertThat(broken.path("intact").asBoolean()).isFalse();
      assertThat(broken.path("firstBadSeq").asLong()).isEqualTo(5);
    }
  }

  /**
   * SRC-1, issue 10 finding 2, across replicas: thirty wrong passwords at once, spread over two
   * servers sharing this database. Both budgets live in the database, so together the replicas
   * check at most 5 passwords on the account and admit at most 20 from the address.
   */
  @Test
  @DisplayName("SRC-1 login: 30 parallel wrong passwords over two replicas, within the budget")
  void login_parallelWrongPasswordsOverTwoReplicas_lockAccountWithinBudget() throws Exception {
    assertThat(s.http.post("/api/users", s.adminToken(), Map.of("username", "pg-target",
        "password", "pg-target-password", "roles", List.of("operator"))).status())
        .isEqualTo(201);
    ServerConfig config = ServerConfig.builder(s.dir.resolve("data3")).port(0).quiet(true)
        .database(url, "postgres", "").adminPasswordFile(s.dir.resolve("admin-password")).build();
    try (NeguardServer replica = NeguardServer.start(config)) {
      List<Http> servers = List.of(s.http, new Http(replica.url()));
      List<Http.Response> rs = AuthTest.parallel(30, i -> servers.get(i % 2).post(
          "/api/auth/login", null, Map.of("username", "pg-target", "password", "guess-" + i)));
      assertThat(rs).allMatch(r -> r.status() == 401 || r.status() == 429, "401 or 429");
      assertThat(rs.stream().filter(r -> r.status() == 401).count())
          .as("admitted by the shared address budget").isLessThanOrEqualTo(20);
      long checked = 0;
      for (JsonNode row : s.http.get("/api/audit?tail=true&limit=10000", s.adminToken()).json()) {
        checked += row.path("target").asText().equals("user pg-target")
            && row.path("detail").asText().contains("wrong password") ? 1 : 0;
      }
      assertThat(checked).as("passwords checked on both replicas").isBetween(1L, 5L);
      clearAddresses();
      for (Http h : servers) {
        Http.Response right = h.post("/api/auth/login", null,
            Map.of("username", "pg-target", "password", "pg-target-password"));
        assertThat(right.status()).as("locked on every replica: %s", right).isEqualTo(401);
      }
    } finally {
      clearAddresses();
    }
  }

  static void clearAddresses() throws SQLException {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM login_addresses");
    }
  }

  @Test
  @DisplayName("SRC-2 parallel uploads of different files (three with one manifest) for one name"
      + " and version on PostgreSQL: its unique constraint lets exactly one be stored")
  void parallelUploads_differentFilesOneVersion_exactlyOneStoredOnPostgres() throws Exception {
    Path work = Files.createDirectories(s.dir.resolve("work-race"));
    String pub = s.token(Role.PUBLISHER);
    Path scanned = Bundles.scanned(Bundles.unsigned(work, "pg-race", "1.0.0", 7, 20_000));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path f = work.resolve("copy-" + i + ".ngp");
      Files.copy(scanned, f);
      files.add(Bundles.sign(f, s.pki.codeSigner().material()));
    }
    files.add(Bundles.signed(work, "pg-race", "1.0.0", 8, 20_000, s.pki.codeSigner().material()));
    List<Http.Response> r = s.http.uploadAllAtOnce(files, pub);
    assertThat(r).as("%s", r).filteredOn(x -> x.status() == 201).hasSize(1);
    assertThat(r).as("%s", r).filteredOn(x -> x.status() == 409 && x.code().equals("CONFLICT"))
        .hasSize(files.size() - 1);
    String stored = s.http.get("/api/packages/pg-race/1.0.0", pub).json().path("sha256")
        .asText();
    assertThat(s.data().resolve("packages/" + stored + ".ngp")).exists();
    assertThat(s.storedFiles()).as("one file per recorded package")
        .hasSize(s.http.get("/api/packages", pub).json().size());
  }

  @Test
  void migrations_sameSchemaAsEmbedded() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        var rs = c.createStatement().executeQuery(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                + " ORDER BY table_name")) {
      List<String> tables = new ArrayList<>();
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
      assertThat(tables).contains("users", "user_roles", "api_tokens", "packages", "audit_log",
          "audit_head", "login_addresses", "flyway_schema_history");
    }
  }

  @Test
  void restart_onSameDatabase_keepsUsersAndNoSecondAdmin() throws Exception {
    String before = s.http.get("/api/users", s.adminToken()).body();
    Path data2 = s.dir.resolve("data2");
    ServerConfig config = ServerConfig.builder(data2).port(0).quiet(true)
        .database(url, "postgres", "").adminPasswordFile(s.dir.resolve("admin-password")).build();
    // A second replica on the same database: same accounts, one chain.
    try (NeguardServer replica = NeguardServer.start(config)) {
      Http http = new Http(replica.url());
      String token = http.login("admin", TestServer.ADMIN_PASSWORD);
      assertThat(http.get("/api/users", token).json().size())
          .isEqualTo(Http.JSON.readTree(before).size());
      assertThat(s.http.get("/api/audit?tail=true&limit=5", s.adminToken()).body())
          .doesNotContain("initial administrator");
      assertThat(http.post("/api/users", token, Map.of("username", "from-replica", "password",
          "replica-password", "roles", List.of("auditor"))).status()).isEqualTo(201);
    }
    assertThat(s.http.get("/api/users", s.adminToken()).body()).contains("from-replica");
  }
}
