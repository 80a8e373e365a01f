package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A package store shared by replicas (REC-2, scale-out): bundles go there, not into the
 * replica's own data directory; a starting replica leaves another's recent files alone.
 */
class SharedPackageStoreTest {
  Path dir;

  @BeforeEach
  void dir() throws Exception {
    dir = Files.createTempDirectory("neguard-shared-store-");
  }

  @AfterEach
  void clean() throws Exception {
    TestServer.delete(dir);
  }

  private ServerConfig config(Path store) {
    return ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(dir.resolve("admin-password"))
        .fleet(new ServerConfig.Fleet(0, java.util.List.of(), 1, java.time.Duration.ofSeconds(2),
            java.time.Duration.ofDays(30), java.util.Optional.of(store)))
        .build();
  }

  @Test
  @DisplayName("REC-2 an upload lands in the shared store; a restart keeps a recent unrecorded"
      + " file another replica may be committing, and removes an old one")
  void upload_sharedStore_storedThereAndRecentFilesSurviveAStart() throws Exception {
    TestPki pki = TestPki.create();
    TestServer.prepare(dir, pki);
    Path store = dir.resolve("store");
    Path work = Files.createDirectories(dir.resolve("work"));
    Path bundle = Bundles.signed(work, "shared", "1.0.0", 1, 5_000, pki.codeSigner().material());
    String sha;
    try (NeguardServer s = NeguardServer.start(config(store))) {
      Http http = new Http(s.url());
      String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
      http.post("/api/users", admin, java.util.Map.of("username", "pub",
          "password", "publisher-password", "roles", java.util.List.of("publisher")));
      Http.Response r = http.upload(bundle, http.login("pub", "publisher-password"));
      assertThat(r.status()).isEqualTo(201);
      sha = r.json().get("sha256").asText();
    }
    assertThat(store.resolve(sha + ".ngp")).isRegularFile();
    try (Stream<Path> own = Files.list(dir.resolve("data/packages"))) {
      assertThat(own).isEmpty();
    }

    Path recent = store.resolve("a".repeat(64) + ".ngp");
    Path old = store.resolve("b".repeat(64) + ".ngp");
    Path oldPart = store.resolve(".incoming/upload-1.part");
    Files.writeString(recent, "another replica is committing this one");
    Files.writeString(old, "left by a crash long ago");
    Files.writeString(oldPart, "left by a crash long ago");
    FileTime longAgo = FileTime.from(Instant.now().minusSeconds(3 * 24 * 3600));
    Files.setLastModifiedTime(old, longAgo);
    Files.setLastModifiedTime(oldPart, longAgo);
    try (NeguardServer s = NeguardServer.start(config(store))) {
      assertThat(recent).exists();
      assertThat(old).doesNotExist();
      assertThat(oldPart).doesNotExist();
      assertThat(store.resolve(sha + ".ngp")).isRegularFile();
    }
  }

  @Test
  @DisplayName("REC-2 a shared store open to others is refused before anything listens")
  void start_sharedStoreOpenToOthers_refused() throws Exception {
    TestServer.prepare(dir, TestPki.create());
    Path store = Files.createDirectories(dir.resolve("store"));
    Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwxrwxrwx"));
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> NeguardServer.start(config(store)));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
    assertThat(e.getMessage()).contains(store.toString()).contains("chmod 700");
    assertThat(dir.resolve("data/server.lock")).exists(); // created, but released: start again
    Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwx------"));
    try (NeguardServer s = NeguardServer.start(config(store))) {
      assertThat(s.url()).isNotNull();
    }
  }
}
