package org.neguard.server.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
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
import org.neguard.tuf.Role;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TrustedMetadata;
import org.neguard.tuf.TufClient;
import org.neguard.tuf.TufKey;

/**
 * The schedule renews the timestamp and the snapshot before they expire, with no upload and the
 * targets unchanged: a server whose timestamps live 4 seconds and snapshots 12, and whose
 * schedule looks every half second ({@code repo.timestampExpiry}, {@code repo.snapshotExpiry},
 * {@code repo.renewInterval}), and a client that refreshes after the first snapshot has
 * expired. The repository is public here: anyone reads it.
 */
@DisplayName("OBJ-1 timestamp and snapshot are renewed on schedule, without an upload")
class RepoRenewTest {
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
  @DisplayName("OBJ-1 INT-4 timestamp and snapshot are re-signed before they expire, targets"
      + " untouched; a client refreshing after the first ones expired is served")
  void timestampAndSnapshot_renewedBySchedule() throws Exception {
    RepoFixture.upload(s, "renew-app", "1.0.0", 21);
    SigningKey r1 = SigningKey.generate(KeyType.ED25519);
    Map<Role, TufKey> online = RepoFixture.onlineKeys(s);
    byte[] root = RepoFixture.root(1, List.of(r1), 1, online, List.of(r1)).toBytes();
    Http.Response published = RepoFixture.postRoot(s, s.adminToken(), root);
    assertThat(published.status()).as(published.toString()).isEqualTo(200);
    long after = RepoFixture.auditHead(s);
    Instant snapshotExpires = Instant.parse(published.json().path("roles").path(2)
        .path("expires").asText());

    // Public: no credential needed on the users' port.
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
    assertThat(t.timestamp().version()).isGreaterThan(1);
    assertThat(t.timestamp().expires()).isAfter(Instant.now());
    assertThat(t.snapshot().version()).isGreaterThan(1);
    assertThat(t.snapshot().expires()).isAfter(Instant.now());
    assertThat(t.targets().version()).isEqualTo(1);
    List<JsonNode> rows = RepoFixture.audit(s, after, "REPO_PUBLISH");
    assertThat(rows).isNotEmpty().allSatisfy(r -> {
      assertThat(r.path("actor").asText()).isEqualTo("system");
      assertThat(r.path("detail").asText()).doesNotContain("targets ");
    });
    assertThat(rows).anySatisfy(r -> assertThat(r.path("detail").asText())
        .contains("timestamp renewed"));
    assertThat(rows).anySatisfy(r -> assertThat(r.path("detail").asText())
        .contains("snapshot renewed"));
    assertThat(RepoFixture.audit(s, after, "PACKAGE_UPLOAD")).isEmpty();
  }
}
