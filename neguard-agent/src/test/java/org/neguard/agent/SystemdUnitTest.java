package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's systemd unit, packaging/systemd/neguard-agent.service: the hardening options the
 * NE relies on are there with their values, and systemd's own checker (systemd-analyze verify,
 * Debian package systemd) finds nothing to say about it. Fails, never skips, without
 * systemd-analyze.
 */
@DisplayName("HRD-1 OBJ-1 the agent's systemd unit: dedicated user, hardening options, verified by"
    + " systemd-analyze")
class SystemdUnitTest {
  static final Path UNIT = Path.of("..", "packaging", "systemd", "neguard-agent.service")
      .toAbsolutePath().normalize();

  /** The [Service] section's keys (a key given twice keeps its last value, as systemd does). */
  static Map<String, String> service() throws Exception {
    Map<String, String> keys = new LinkedHashMap<>();
    String section = "";
    for (String line : Files.readAllLines(UNIT)) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      if (l.startsWith("[")) {
        section = l;
      } else if (section.equals("[Service]")) {
        int eq = l.indexOf('=');
        keys.put(l.substring(0, eq), l.substring(eq + 1));
      }
    }
    return keys;
  }

  static String analyze(Path unit) throws Exception {
    String found = null;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "systemd-analyze"))) {
        found = Path.of(dir, "systemd-analyze").toString();
      }
    }
    assertThat(found).as("systemd-analyze (Debian package systemd) is not on PATH; .ci/run"
        + " installs it").isNotNull();
    Process p = new ProcessBuilder(found, "verify", unit.toString()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return "exit " + p.exitValue() + "\n" + out;
  }

  @Test
  @DisplayName("HRD-1 the unit runs the agent's main class as neguard-agent with the measured"
      + " footprint options (the launcher's jvm.options),"
      + " NoNewPrivileges, ProtectSystem=strict (state and install root writable), no"
      + " capabilities, restricted address families, a memory cap, restart on failure but not"
      + " on a configuration or identity error")
  void unit_hasTheHardeningOptions() throws Exception {
    Map<String, String> s = service();
    assertThat(s).containsEntry("Type", "simple").containsEntry("User", "neguard-agent")
        .containsEntry("NoNewPrivileges", "yes").containsEntry("ProtectSystem", "strict")
        .containsEntry("ProtectHome", "yes").containsEntry("PrivateTmp", "yes")
        .containsEntry("ProtectKernelTunables", "yes").containsEntry("ProtectKernelModules", "yes")
        .containsEntry("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK")
        .containsEntry("CapabilityBoundingSet", "").containsEntry("Restart", "on-failure")
        .containsEntry("StandardOutput", "journal").containsKey("MemoryMax")
        .doesNotContainKey("MemoryDenyWriteExecute");
    assertThat(List.of(s.get("ReadWritePaths").split("\\s+")))
        .contains("/var/lib/neguard-agent", "/opt/neguard-ne");
    assertThat(s.get("RestartPreventExitStatus")).isEqualTo(Agent.EXIT_CONFIG + " "
        + Agent.EXIT_IDENTITY);
    String exec = s.get("ExecStart");
    assertThat(exec).endsWith("org.neguard.agent.Agent /etc/neguard/agent.properties");
    // One set of options for the NE: the file the launcher and the quickstart read.
    java.nio.file.Path options = java.nio.file.Path.of("").toAbsolutePath().getParent().resolve(
        "neguard-cli/src/main/resources/org/neguard/cli/agent/jvm.options");
    for (String line : java.nio.file.Files.readAllLines(options)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        assertThat(List.of(exec.split("\\s+"))).as("ExecStart has %s", line)
            .containsAll(List.of(line.trim().split("\\s+")));
      }
    }
    assertThat(Class.forName("org.neguard.agent.Agent").getMethod("main", String[].class))
        .isNotNull();
  }

  @Test
  @DisplayName("OBJ-1 systemd-analyze verify accepts the unit without a word; the control: a"
      + " misspelt option in a copy is reported")
  void unit_systemdAnalyzeVerify_clean(@TempDir Path dir) throws Exception {
    String out = analyze(UNIT);
    assertThat(out).as(out).startsWith("exit 0\n").doesNotContain("neguard-agent.service");
    Path bad = dir.resolve("neguard-agent.service");
    Files.writeString(bad, Files.readString(UNIT).replace("ProtectSystem=strict",
        "ProtectSystem=strict\nProtectSytem=strict"));
    assertThat(analyze(bad)).contains("ProtectSytem");
  }
}
