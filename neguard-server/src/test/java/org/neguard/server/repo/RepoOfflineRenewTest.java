package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Http;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestServer;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TrustedMetadata;
import org.neguard.tuf.TufClient;
import org.neguard.tuf.TufKey;

/**
 * With targets signed offline the schedule still renews the timestamp and the snapshot over the
 * holders' targets, and never signs targets: a server whose timestamps live 4 seconds and
 * snapshots 12, looking every half second, and a client refreshing after the first snapshot
 * expired.
 */
@DisplayName("OBJ-1 with offline targets, timestamp and snapshot are still renewed on schedule")
class RepoOfflineRenewTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start(null, b -> b.repo(new ServerConfig.Repo(true, Duration.ofSeconds(4),
        Duration.ofSeconds(12), Duration.ofDays(90), Duration.ofMillis(500))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  @Test
  @DisplayName("OBJ-1 INT-4 snapshot and timestamp re-signed before they expire over the targets"
      + " the holders signed, which stays as they signed it; a client refreshing later is served")
  void offlineTargets_snapshotAndTimestampRenewed_targetsUntouched() throws Exception {
    RepoFixture.upload(s, "renew-off", "1.0.0", 41);
    SigningKey r1 = SigningKey.generate(KeyType.ED25519);
    SigningKey t1 = SigningKey.generate(KeyType.ED25519);
    Map<Role, TufKey> online = RepoFixture.onlineKeys(s);
    byte[] root = RootBuilder.create(Instant.now().plus(365, ChronoUnit.DAYS))
        .role(Role.ROOT, List.of(r1.key()), 1)
        .role(Role.TIMESTAMP, List.of(online.get(Role.TIMESTAMP)), 1)
        .role(Role.SNAPSHOT, List.of(online.get(Role.SNAPSHOT)), 1)
        .role(Role.TARGETS, List.of(t1.key()), 1)
        .build().toMetadata().sign(r1).toBytes();
    Http.Response r = RepoFixture.postRoot(s, s.adminToken(), root);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    Http.Response next = s.http.get("/api/repo/targets/next", s.adminToken());
    assertThat(next.status()).as(next.toString()).isEqualTo(200);
    byte[] signed = Metadata.parse(next.body().getBytes(StandardCharsets.UTF_8), 1 << 20)
        .sign(t1).toBytes();
    Http.Response published = s.http.sendRaw("POST", "/api/repo/targets", Map.of(
        "Authorization", "Bearer " + s.adminToken(), "Content-Type", "application/json"),
        signed);
    assertThat(published.status()).as(published.toString()).isEqualTo(200);
    assertThat(RepoTest.versions(published.json())).containsExactly(1, 1, 1, 1);
    long after = RepoFixture.auditHead(s);
    Instant snapshotExpires = Instant.parse(published.json().path("roles").path(2)
        .path("expires").asText());

    TufClient c = RepoFixture.client(s, s.server.url(), RepoFixture.users(null), root);
    assertThat(c.refresh().timestamp().version()).isEqualTo(1);
    while (Instant.now().isBefore(snapshotExpires.plusSeconds(1))) {
      Thread.sleep(200);
    }
    JsonNode st = s.http.get("/api/repo/status", s.adminToken()).json();
    List<Integer> v = RepoTest.versions(st);
    assertThat(v.subList(0, 2)).as("root, targets").containsExactly(1, 1);
    assertThat(v.get(2)).as("snapshot").isGreaterThan(1);
    assertThat(v.get(3)).as("timestamp").isGreaterThan(v.get(2));
    TrustedMetadata t = c.refresh();
    assertThat(t.snapshot().expires()).isAfter(Instant.now());
    assertThat(t.timestamp().expires()).isAfter(Instant.now());
    assertThat(t.targets().version()).isEqualTo(1);
    // Byte for byte what the holder signed.
    assertThat(s.http.get(RepoFixture.BASE + "/metadata/1.targets.json", null).body()
        .getBytes(StandardCharsets.UTF_8)).isEqualTo(signed);
    List<JsonNode> rows = RepoFixture.audit(s, after, "REPO_PUBLISH");
    assertThat(rows).isNotEmpty().allSatisfy(row -> {
      assertThat(row.path("actor").asText()).isEqualTo("system");
      assertThat(row.path("detail").asText()).doesNotContain("targets ");
    });
    assertThat(rows).anySatisfy(row -> assertThat(row.path("detail").asText())
        .contains("snapshot renewed"));
  }
}
