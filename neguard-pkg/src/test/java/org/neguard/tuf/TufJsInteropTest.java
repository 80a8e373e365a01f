package org.neguard.tuf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability (issue 13): tuf-js 3.1.0, a TUF client written by others, run with this
 * machine's Node.js, reads a repository the writer produced, served over HTTP on 127.0.0.1. It
 * refreshes and downloads a package with verified length and hash; after the test tampers a
 * target, lets the timestamp expire, or serves an older snapshot, it refuses. The same cases
 * against the Java client are in {@link TufClientAttackTest}.
 *
 * <p>Node.js and the installed harness are required: without them the test fails (never skips)
 * naming the command to run. tuf-js checks expiry against the real clock, so this repository is
 * issued at the real time.
 */
@DisplayName("INT-4 interoperability: tuf-js reads the repository and refuses its attacks")
class TufJsInteropTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TARGET = "nms-agent-1.0.0.ngp";

  @TempDir Path tmp;
  TufRepo repo;
  Path harness;
  Path node;

  @BeforeEach
  void setUp() throws Exception {
    harness = projectRoot().resolve("interop/tuf-js");
    node = onPath("node");
    assertThat(node).as("Node.js (node) is not on PATH: install the Debian packages nodejs and "
        + "npm (.ci/run does), then run `cd " + harness + " && npm ci`").isNotNull();
    assertThat(harness.resolve("node_modules/tuf-js/package.json"))
        .as("the tuf-js harness is not installed: run `cd " + harness + " && npm ci`")
        .exists();
    repo = new TufRepo(tmp.resolve("repo"), Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  @AfterEach
  void tearDown() {
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  @DisplayName("INT-4: tuf-js refreshes and downloads a package, length and hash verified")
  void tufJs_downloadsThePackage() throws Exception {
    JsonNode out = tufJs("fresh");
    assertThat(out.path("ok").asBoolean()).as(out.toString()).isTrue();
    TargetFile t = repo.published.targets().targets().targets().get(TARGET);
    assertThat(out.path("length").asLong()).isEqualTo(t.length());
    assertThat(out.path("sha256").asText()).isEqualTo(t.sha256());
    assertThat(out.at("/custom/neguard/neType").asText()).isEqualTo("MME");
    assertThat(Files.readString(Path.of(out.path("path").asText()))).isEqualTo("the first package");
    // And after a new upload and a rotation of the timestamp key in a new root.
    repo.addTarget("nms-agent-1.1.0.ngp", "second".getBytes(StandardCharsets.UTF_8));
    OnlineKeys rotated = new OnlineKeys(repo.online.targets(), repo.online.snapshot(),
        SigningKey.generate(KeyType.ED25519));
    RootMetadata v2 = RootBuilder.next(repo.root, repo.clock.instant().plus(Expiries.ROOT))
        .role(Role.TIMESTAMP, List.of(rotated.timestamp().key()), 1).build();
    repo.publishRoot(v2, rotated, repo.rootKeys.get(0), repo.rootKeys.get(2));
    JsonNode again = tufJs("fresh", "nms-agent-1.1.0.ngp");
    assertThat(again.path("ok").asBoolean()).as(again.toString()).isTrue();
  }

  @Test
  @DisplayName("INT-4: tuf-js refuses a tampered target")
  void tufJs_refusesATamperedTarget() throws Exception {
    TargetFile t = repo.published.targets().targets().targets().get(TARGET);
    Files.write(repo.targetFile(t), "THE FIRST PACKAGE".getBytes(StandardCharsets.UTF_8));
    JsonNode out = tufJs("tampered");
    assertThat(out.path("ok").asBoolean()).as(out.toString()).isFalse();
    assertThat(out.path("message").asText()).containsIgnoringCase("hash");
  }

  @Test
  @DisplayName("INT-4: tuf-js refuses an expired timestamp (indefinite freeze)")
  void tufJs_refusesAnExpiredTimestamp() throws Exception {
    repo.renewTimestamp(Instant.now().minusSeconds(60));
    JsonNode out = tufJs("expired");
    assertThat(out.path("ok").asBoolean()).as(out.toString()).isFalse();
    assertThat(out.path("error").asText()).isEqualTo("ExpiredMetadataError");
  }

  @Test
  @DisplayName("INT-4: tuf-js refuses an older snapshot than the one it trusts (rollback)")
  void tufJs_refusesAnOlderSnapshot() throws Exception {
    byte[] oldTimestamp = repo.published.timestampBytes();
    Published first = repo.published;
    repo.publish();
    assertThat(tufJs("rollback").path("ok").asBoolean()).isTrue();
    // A validly signed timestamp of a higher version naming the older snapshot.
    Metadata ts = new TimestampMetadata(repo.published.timestamp().version() + 1,
        repo.clock.instant().plus(Duration.ofDays(1)),
        MetaFile.of(first.snapshot().version(), first.snapshotBytes())).toMetadata()
        .sign(repo.online.timestamp());
    Files.write(repo.metadataFile("timestamp.json"), ts.toBytes());
    JsonNode out = tufJs("rollback");
    assertThat(out.path("ok").asBoolean()).as(out.toString()).isFalse();
    assertThat(out.path("error").asText()).isEqualTo("BadVersionError");
    // And the old timestamp with its old snapshot, as a mirror would replay them.
    Files.write(repo.metadataFile("timestamp.json"), oldTimestamp);
    JsonNode replay = tufJs("rollback");
    assertThat(replay.path("ok").asBoolean()).as(replay.toString()).isFalse();
    assertThat(replay.path("error").asText()).isEqualTo("BadVersionError");
  }

  private JsonNode tufJs(String workDir) throws Exception {
    return tufJs(workDir, TARGET);
  }

  /** Runs the harness in {@code tmp/workDir} (kept between runs: tuf-js's trusted state). */
  private JsonNode tufJs(String workDir, String target) throws Exception {
    Path root = tmp.resolve("root.json");
    Files.write(root, repo.roots.get(0).toBytes());
    Path out = tmp.resolve("node-out.txt");
    Process p = new ProcessBuilder(node.toString(), harness.resolve("fetch.mjs").toString(),
        repo.base().resolve("metadata/").toString(), repo.base().resolve("targets/").toString(),
        root.toString(), target, tmp.resolve(workDir).toString())
        .redirectErrorStream(false)
        .redirectOutput(out.toFile())
        .redirectError(tmp.resolve("node-err.txt").toFile())
        .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("tuf-js finished in time").isTrue();
    String stdout = Files.readString(out).strip();
    String[] lines = stdout.split("\n");
    JsonNode result = JSON.readTree(lines[lines.length - 1]);
    assertThat(p.exitValue()).as("exit code for " + stdout + " / "
        + Files.readString(tmp.resolve("node-err.txt")))
        .isEqualTo(result.path("ok").asBoolean() ? 0 : 1);
    return result;
  }

  /** The repository root: the first directory upwards from the module that holds interop/. */
  static Path projectRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("interop/tuf-js/fetch.mjs"))) {
        return p;
      }
    }
    throw new AssertionError("no interop/tuf-js/fetch.mjs above " + Path.of("").toAbsolutePath());
  }

  private static Path onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

}
