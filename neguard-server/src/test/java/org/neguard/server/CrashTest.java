package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.testing.TestPki;

/**
 * OBJ-1, SRC-2, SRC-3: the server killed with SIGKILL in the middle of an upload and of user
 * changes, then restarted on the same data directory: no partial package, no temp file, every
 * change has its audit row, and the chain still verifies.
 */
@DisplayName("OBJ-1 kill -9 during upload and user changes")
class CrashTest {
  @Test
  void kill9_duringUploadAndUserChanges_restartLeavesNoPartialPackageAndChainIntact()
      throws Exception {
    Path dir = Files.createTempDirectory("neguard-crash-test-");
    try {
      TestPki pki = TestPki.create();
      TestServer.prepare(dir, pki);
      Path data = dir.resolve("data");
      Path work = Files.createDirectories(dir.resolve("work"));
      Path good = Bundles.signed(work, "kept", "1.0.0", 1, 10_000, pki.codeSigner().material());
      Path big = Bundles.signed(work, "cut", "1.0.0", 2, 4_000_000, pki.codeSigner().material());
      String keptSha;
      try (ServerProcess p = ServerProcess.start(data, dir.resolve("admin-password"))) {
        Http http = new Http(p.url);
        String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
        assertThat(http.post("/api/users", admin, Map.of("username", "pub", "password",
            "publisher-password", "roles", List.of("publisher"))).status()).isEqualTo(201);
        String pub = http.login("pub", "publisher-password");
        Http.Response kept = http.upload(good, pub);
        assertThat(kept.status()).isEqualTo(201);
        keptSha = kept.json().path("sha256").asText();

        // Half an upload in flight...
        byte[] bytes = Files.readAllBytes(big);
        Socket socket = new Socket("127.0.0.1", p.url.getPort());
        OutputStream out = socket.getOutputStream();
        out.write(("POST /api/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + pub + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
            + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes, 0, bytes.length / 2);
        out.flush();
        IngestTest.waitFor(() -> count(data.resolve("tmp")) > 0, "the upload's temp file");
        // ...and user changes going on.
        AtomicBoolean stop = new AtomicBoolean();
        Thread changes = new Thread(() -> {
          for (int i = 0; !stop.get(); i++) {
            try {
              http.post("/api/users", admin, Map.of("username", "crash-" + i, "password",
                  "crash-password-" + i, "roles", List.of("operator")));
            } catch (RuntimeException e) {
              return; // the server died
            }
          }
        });
        changes.start();
        Thread.sleep(700);
        p.kill9();
        stop.set(true);
        changes.join(30_000);
        socket.close();
      }
      assertThat(count(data.resolve("tmp"))).as("the killed upload's temp file").isEqualTo(1);
      // As if killed between moving a verified bundle into the store and recording it.
      Path orphan = data.resolve("packages/" + "ab".repeat(32) + ".ngp");
      Files.copy(big, orphan);

      try (ServerProcess p = ServerProcess.start(data, dir.resolve("admin-password"))) {
        Http http = new Http(p.url);
        String admin = http.login("admin", TestServer.ADMIN_PASSWORD);
        assertThat(count(data.resolve("tmp"))).as("temp files removed at start").isZero();
        try (Stream<Path> s = Files.list(data.resolve("packages"))) {
          assertThat(s.map(f -> f.getFileName().toString()).toList())
              .containsExactly(keptSha + ".ngp");
        }
        JsonNode packages = http.get("/api/packages", admin).json();
        assertThat(packages.findValuesAsText("name")).containsExactly("kept");
        JsonNode verify = http.get("/api/audit/verify", admin).json();
        assertThat(verify.path("intact").asBoolean()).as("%s", verify).isTrue();
        // Every user that exists has its audit row: change and record commit together.
        Set<String> audited = new HashSet<>();
        for (String line : http.get("/api/audit/export?format=jsonl", admin).body().lines()
            .toList()) {
          JsonNode row = new Http.Response(200, line).json();
          if (row.path("action").asText().equals("USER_CREATE")) {
            audited.add(row.path("target").asText().replace("user ", ""));
          }
        }
        List<String> users = new ArrayList<>(
            http.get("/api/users", admin).json().findValuesAsText("username"));
        assertThat(users).hasSizeGreaterThan(2);
        assertThat(audited).containsAll(users);
      }
    } finally {
      TestServer.delete(dir);
    }
  }

  static long count(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
