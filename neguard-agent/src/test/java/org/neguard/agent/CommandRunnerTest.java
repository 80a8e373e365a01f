package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner of the service restart and the health check: no shell, bounded, killed in time. */
class CommandRunnerTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("REC-1 exit 0 passes; a non-zero exit fails; stdout and stderr are captured")
  void exitAndOutput() throws Exception {
    Path ok = script("ok.sh", "echo out; echo err >&2; exit 0");
    CommandRunner.Result r = CommandRunner.run(List.of(ok.toString()), dir, Map.of(),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).contains("out").contains("err");
    Path bad = script("bad.sh", "echo \"unhealthy $NEGUARD_VERSION\"; exit 3");
    r = CommandRunner.run(List.of(bad.toString()), dir, Map.of("NEGUARD_VERSION", "2.0"),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isFalse();
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.describe()).isEqualTo("exit 3: unhealthy 2.0");
  }

  @Test
  @DisplayName("REC-1 a hanging command (and its child) is killed at the timeout and fails")
  void hanging_killedAtTheTimeout() throws Exception {
    Path hang = script("hang.sh", "echo started; sleep 60");
    long t0 = System.nanoTime();
    CommandRunner.Result r = CommandRunner.run(List.of(hang.toString()), dir, Map.of(),
        Duration.ofMillis(500));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).as("returns soon after the timeout").isLessThan(5_000);
    assertThat(r.timedOut()).isTrue();
    assertThat(r.ok()).isFalse();
    assertThat(r.output()).contains("started");
    assertThat(r.describe()).startsWith("killed at the timeout");
  }

  @Test
  @DisplayName("REC-1 output beyond 8 KiB is dropped (the process still runs to its end)")
  void output_bounded() throws Exception {
    Path loud = script("loud.sh", "head -c 1000000 /dev/zero | tr '\\\\0' x; exit 0");
    CommandRunner.Result r = CommandRunner.run(List.of(loud.toString()), dir, Map.of(),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).hasSize(CommandRunner.MAX_OUTPUT);
    assertThat(r.truncated()).isTrue();
  }

  @Test
  @DisplayName("a configured line is split on whitespace, no shell: a metacharacter is an"
      + " argument")
  void split_noShell() throws Exception {
    assertThat(CommandRunner.split("  systemctl  restart\tmme.service ")).containsExactly(
        "systemctl", "restart", "mme.service");
    assertThat(CommandRunner.split(null)).isEmpty();
    CommandRunner.Result r = CommandRunner.run(CommandRunner.split("echo a;b $HOME"), dir,
        Map.of(), Duration.ofSeconds(10));
    assertThat(r.output().strip()).isEqualTo("a;b $HOME");
  }

  private Path script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    p.toFile().setExecutable(true);
    return p;
  }
}
