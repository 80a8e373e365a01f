package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Transport;
import org.neguard.testing.NetnsHost;
import org.neguard.testing.RequiredProgram;

/** {@code harden check --target}: a live scan of a host the test creates, judged and reported. */
class HardenCheckTargetTest {
  @TempDir Path dir;

  @Test
  @DisplayName("HRD-1/HRD-3/HRD-5/HRD-6: a live scan finds the forbidden echo service next to the"
      + " declared one, exits 3 and writes the evidence")
  void checkTarget_forbiddenAndDeclared_exit3WithEvidence() throws Exception {
    RequiredProgram.require("socat");
    RequiredProgram.require("ip");
    try (NetnsHost ns = NetnsHost.create()) {
      String a = ns.address();
      NetnsHost.Daemon ssh = ns.start("ssh-like", "socat",
          "TCP-LISTEN:2222,bind=" + a + ",reuseaddr,fork", "SYSTEM:echo SSH-2.0-Test_1.0");
      NetnsHost.Daemon echo = ns.start("echo", "socat",
          "TCP-LISTEN:7,bind=" + a + ",reuseaddr,fork", "EXEC:cat");
      ns.awaitListening(ssh, Transport.TCP, 2222, Duration.ofSeconds(10));
      ns.awaitListening(echo, Transport.TCP, 7, Duration.ofSeconds(10));
      Path policy = Files.writeString(dir.resolve("ne.yaml"), String.join("\n",
          "schema: neguard-hardening-policy/1",
          "neType: test-ne",
          "allowed:",
          "  - transport: tcp",
          "    port: 2222",
          "    service: ssh",
          "    justification: OAM shell of the test NE",
          ""));
      Path report = dir.resolve("evidence");
      CliRun run = CliRun.of("harden", "check", "--policy", policy.toString(), "--target", a,
          "--report", report.toString(), "--json");
      assertThat(run.exit()).as(run.toString()).isEqualTo(3);
      JsonNode json = run.json();
      assertThat(json.path("host").asText()).isEqualTo(a);
      assertThat(json.at("/requirements/HRD-5").asText()).isEqualTo("FAIL");
      assertThat(json.path("reasons").toString()).contains("FORBIDDEN_SERVICE");
      assertThat(json.path("reasons").toString()).doesNotContain("\"subject\":\"tcp/2222\"");
      assertThat(report.resolve("hardening-report.html")).content().contains("2222", "echo");
    }
  }
}
