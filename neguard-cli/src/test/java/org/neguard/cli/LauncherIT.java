package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, as a new user types it: {@code ./neguard quickstart}, through the
 * launcher and the packaged jar, in a separate process.
 */
class LauncherIT {
  @TempDir Path dir;

  @Test
  void quickstart_throughLauncher_printsPassAndRefusal() throws IOException, InterruptedException {
    Path launcher = Path.of("..", "neguard").toAbsolutePath().normalize();
    assertThat(launcher).isExecutable();
    Path log = dir.resolve("out.txt");
    Process p = new ProcessBuilder(launcher.toString(), "quickstart", "--dir",
            dir.resolve("qs").toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    assertThat(p.waitFor(8, TimeUnit.MINUTES)).isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).doesNotContain("building"); // the jar was fresh: no rebuild
    assertThat(out).contains("PASS", "DIGEST_MISMATCH", "Quickstart done");
  }

  @Test
  void jsonOutput_throughLauncher_isOneJsonObjectOnStdout() throws Exception {
    // The launcher's JVM options (compiler directives) must not print into --json output.
    Path launcher = Path.of("..", "neguard").toAbsolutePath().normalize();
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.writeString(tree.resolve("a.txt"), "a\n");
    Path out = dir.resolve("out.json");
    Process p = new ProcessBuilder(launcher.toString(), "pkg", "build", "--name", "x", "--version",
            "1", "--security-version", "1", "--ne-type", "mme", "--vendor", "v", "--from",
            tree.toString(), "--out", dir.resolve("x.ngp").toString(), "--json")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .redirectOutput(out.toFile())
        .start();
    // The launcher's first run trains its class-data archive with a whole quickstart: minutes
    // on a loaded 2-core machine, before the command itself runs.
    assertThat(p.waitFor(6, TimeUnit.MINUTES)).isTrue();
    String json = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(json).isZero();
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)
        .path("package").path("name").asText()).as(json).isEqualTo("x");
    assertThat(json.strip()).startsWith("{").endsWith("}");
  }
}
