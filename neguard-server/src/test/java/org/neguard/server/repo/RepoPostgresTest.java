package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.Sha256;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.ServerProcess;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.MetaFile;
import org.neguard.tuf.Role;
import org.neguard.tuf.SigningKey;

/**
 * Two server processes on one PostgreSQL publishing at the same time (127.0.0.1:5432; each run
 * creates its own database): one in this JVM, one in a JVM of its own ({@code ServerProcess}),
 * sharing the package store. Uploads on both, both schedules renewing a 2-second timestamp every
 * 200 ms, and direct publications from several threads of the first; the second is killed
 * (SIGKILL) at the end, perhaps mid-publication. The lock row serializes them: no publication
 * fails, every version of every role is signed once, each snapshot names a stored targets with
 * its hash and each timestamp a stored snapshot, one audit row per publication, and readers on
 * both never see two different files under one name.
 */
@DisplayName("OBJ-1 two replicas publishing the repository at once on PostgreSQL")
class RepoPostgresTest {
  static String database;
  static TestServer s;
  static ServerProcess replica;
  static final ServerConfig.Repo REPO = new ServerConfig.Repo(false, Duration.ofSeconds(2),
      Duration.ofDays(7), Duration.ofDays(90), Duration.ofMillis(200));

  @BeforeAll
  static void start() throws Exception {
    database = TestDb.create("neguard_repo_");
    String url = TestDb.url(database);
    Path store = Files.createTempDirectory("neguard-repo-store-");
    ServerConfig.Fleet d = ServerConfig.Fleet.defaults();
    ServerConfig.Fleet fleet = new ServerConfig.Fleet(d.devicePort(), d.deviceHosts(),
        d.requiredApprovals(), d.schedulerInterval(), d.certificateLifetime(),
        Optional.of(store));
    s = TestServer.start(url, b -> b.repo(REPO).fleet(fleet));
    Path second = Files.createDirectories(s.dir.resolve("replica"));
    TestServer.prepare(second, s.pki); // the same vendor anchor, so that it takes uploads too
    replica = ServerProcess.start(second.resolve("data"), second.resolve("admin-password"), null,
        Map.of(), List.of("-Xmx256m"), new ServerProcess.Options(url, store, null, REPO));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (replica != null) {
        replica.close();
      }
      if (s != null) {
        s.close();
      }
    } finally {
      TestDb.drop(database);
    }
  }

  @Test
  @DisplayName("OBJ-1 concurrent publications on two replicas: one file per version, a"
      + " consistent chain, nothing failed")
  void twoReplicas_publishConcurrently_oneFilePerVersion() throws Exception {
    SigningKey r1 = SigningKey.generate(KeyType.ED25519);
    byte[] root = RepoFixture.root(1, List.of(r1), 1, RepoFixture.onlineKeys(s), List.of(r1))
        .toBytes();
    Http.Response published = RepoFixture.postRoot(s, s.adminToken(), root);
    assertThat(published.status()).as(published.toString()).isEqualTo(200);
    Path work = Files.createDirectories(s.dir.resolve("work"));
    List<Path> bundles = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      bundles.add(Bundles.signed(work, "pg-app", "1." + i + ".0", 40 + i, 4_000,
          s.pki.codeSigner().material()));
    }
    String publisher = s.token(TestServer.Role.PUBLISHER);
    String reader = s.token(TestServer.Role.OPERATOR);
    Http[] ports = {s.http, new Http(replica.url)};
    Publisher direct = s.bean(Publisher.class);
    Map<String, String> seen = new ConcurrentHashMap<>();
    List<String> conflicts = new CopyOnWriteArrayList<>();
    long end = System.nanoTime() + 6_000_000_000L;
    ExecutorService pool = Executors.newFixedThreadPool(12);
    try {
      List<Future<?>> work2 = new ArrayList<>();
      for (int i = 0; i < bundles.size(); i++) {
        Http on = ports[i % 2];
        Path b = bundles.get(i);
        work2.add(pool.submit(() -> {
          Http.Response r = on.upload(b, publisher);
          assertThat(r.status()).as(r.toString()).isEqualTo(201);
          return null;
        }));
      }
      for (int i = 0; i < 3; i++) {
        work2.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            direct.publish("test");
            Thread.sleep(20);
          }
          return null;
        }));
      }
      for (int i = 0; i < 2; i++) {
        Http on = ports[i];
        work2.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            read(on, reader, "timestamp.json", seen, conflicts);
            JsonNode st = on.get("/api/repo/status", reader).json();
            read(on, reader, st.path("roles").path(2).path("version").asInt() + ".snapshot.json",
                seen, conflicts);
            read(on, reader, st.path("roles").path(1).path("version").asInt() + ".targets.json",
                seen, conflicts);
          }
          return null;
        }));
      }
      for (Future<?> f : work2) {
        f.get(5, TimeUnit.MINUTES); // an upload or publication that failed fails here
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(conflicts).as("two different files under one name").isEmpty();
    // The schedules stop before the database is read, so that it holds still.
    replica.close(); // SIGKILL: a publication it was making is rolled back
    s.bean(RepoSchedule.class).close();
    Thread.sleep(500);

    // Every version once, each naming what is stored under the version it names.
    Map<Integer, byte[]> targets = versions("targets");
    Map<Integer, byte[]> snapshots = versions("snapshot");
    Map<Integer, byte[]> timestamps = versions("timestamp");
    for (Map<Integer, byte[]> m : List.of(targets, snapshots, timestamps)) {
      assertThat(m.keySet()).as("versions 1..n, none missing").containsExactlyInAnyOrderElementsOf(
          java.util.stream.IntStream.rangeClosed(1, m.size()).boxed().toList());
    }
    assertThat(timestamps.size()).as("renewals happened").isGreaterThan(2);
    for (byte[] sn : snapshots.values()) {
      MetaFile t = Metadata.parse(sn, 1 << 24).snapshot().targetsMeta();
      assertThat(t.sha256()).isEqualTo(Sha256.hex(targets.get(t.version())));
      assertThat(t.length()).isEqualTo(targets.get(t.version()).length);
    }
    for (byte[] ts : timestamps.values()) {
      MetaFile sn = Metadata.parse(ts, 1 << 24).timestamp().snapshotMeta();
      assertThat(sn.sha256()).isEqualTo(Sha256.hex(snapshots.get(sn.version())));
    }
    assertThat(RepoFixture.audit(s, 0, "REPO_PUBLISH")).as("one audit row per publication")
        .hasSize(timestamps.size());
    assertThat(s.http.get("/api/repo/status", reader).json().path("targets").asInt())
        .as("every package, wherever it was uploaded").isEqualTo(6);
  }

  private static void read(Http on, String token, String file, Map<String, String> seen,
      List<String> conflicts) {
    Http.Response r = on.get(RepoFixture.BASE + "/metadata/" + file, token);
    if (r.status() != 200) {
      return; // timestamp.json moved on between the status and the read: fine
    }
    String sha = Sha256.hex(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (file.equals("timestamp.json")) {
      try {
        file = Metadata.parse(r.body().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            1 << 20).version() + ".timestamp";
      } catch (Exception e) {
        conflicts.add("unreadable timestamp: " + e);
        return;
      }
    }
    String before = seen.putIfAbsent(file, sha);
    if (before != null && !before.equals(sha)) {
      conflicts.add(file + ": " + before + " and " + sha);
    }
  }

  private static Map<Integer, byte[]> versions(String role) throws Exception {
    Map<Integer, byte[]> m = new java.util.TreeMap<>();
    try (java.sql.Connection c = TestDb.connect(database);
        java.sql.PreparedStatement ps = c.prepareStatement(
            "SELECT version, content FROM repo_metadata WHERE role = ?")) {
      ps.setString(1, role);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          assertThat(m.put(rs.getInt(1), rs.getBytes(2))).as(role + " " + rs.getInt(1))
              .isNull();
        }
      }
    }
    return m;
  }
}
