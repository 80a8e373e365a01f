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
 * The schedule renews the timestamp before it expires, with no upload and nothing else
 * changed: a server whose timestamps live 8 seconds and whose schedule looks every half second
 * ({@code repo.timestampExpiry}, {@code repo.renewInterval}), and a client that refreshes after
 * the first timestamp has expired. The repository is public here: anyone reads it.
 */
@DisplayName("OBJ-1 the timestamp is renewed on schedule, without an upload")
class RepoRenewTest {
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start(null, b -> b.repo(new ServerConfig.Repo(true, Duration.ofSeconds(8),
        Duration.ofDays(7), Duration.ofDays(90), Duration.ofMillis(500))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  @Test
  @DisplayName("OBJ-1 INT-4 the timestamp is re-signed before it expires, snapshot and targets"
      + " untouched; a client refreshing after the first one expired is served")
  void timestamp_renewedBySchedule() throws Exception {
    RepoFixture.upload(s, "renew-app", "1.0.0", 21);
    SigningKey r1 = SigningKey.generate(KeyType.ED25519);
    Map<Role, TufKey> online = RepoFixture.onlineKeys(s);
    byte[] root = RepoFixture.root(1, List.of(r1), 1, online, List.of(r1)).toBytes();
    Http.Response published = RepoFixture.postRoot(s, s.adminToken(), root);
    assertThat(published.status()).as(published.toString()).isEqualTo(200);
    long after = RepoFixture.auditHead(s);
    Instant firstExpires = Instant.parse(published.json().path("roles").path(3).path("expires")
        .asText());

    // Public: no credential needed on the users' port.
    TufClient c = RepoFixture.client(s, s.server.url(), RepoFixture.users(null), root);
    assertThat(c.refresh().timestamp().version()).isEqualTo(1);
    while (Instant.now().isBefore(firstExpires.plusSeconds(1))) {
      Thread.sleep(200);
    }
    JsonNode st = s.http.get("/api/repo/status", s.adminToken()).json();
    assertThat(RepoTest.versions(st).subList(0, 3)).as("root, targets, snapshot")
        .containsExactly(1, 1, 1);
    assertThat(RepoTest.versions(st).get(3)).as("timestamp").isGreaterThan(1);
    TrustedMetadata t = c.refresh();
    assertThat(t.timestamp().version()).isGreaterThan(1);
    assertThat(t.timestamp().expires()).isAfter(Instant.now());
    assertThat(t.snapshot().version()).isEqualTo(1);
    List<JsonNode> rows = RepoFixture.audit(s, after, "REPO_PUBLISH");
    assertThat(rows).isNotEmpty().allSatisfy(r -> {
      assertThat(r.path("actor").asText()).isEqualTo("system");
      assertThat(r.path("detail").asText()).startsWith("timestamp ")
          .contains("timestamp renewed");
    });
    assertThat(RepoFixture.audit(s, after, "PACKAGE_UPLOAD")).isEmpty();
  }
}
