package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 14's sample package as a real daemon ({@link DaemonPackage}: socat serving a port on
 * 127.0.0.1), installed, upgraded and rolled back by a real agent process against a real server:
 * the health check talks to the running process, not to a file.
 */
@DisplayName("INT-3 REC-1 the NE agent with a real daemon: install, upgrade, a version that"
    + " fails to start rolled back")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentDaemonTest {
  static AgentFleet fleet;
  static AgentFleet.Ne ne;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-daemon-test");
    port = DaemonPackage.freePort();
    DaemonPackage.publish(fleet, "svc", "1.0", 1, port, false);
    DaemonPackage.publish(fleet, "svc", "2.0", 2, port, false);
    DaemonPackage.publish(fleet, "svc", "3.0", 3, port, true);
    ne = fleet.ne("ne-daemon").configure("mme");
    DaemonPackage.configure(ne, port, 4);
    ne.start();
    ne.await("enrolled", e -> true);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (ne != null) {
        DaemonPackage.stopAll(ne);
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  static JsonNode deploy(String version) throws Exception {
    return fleet.finalTarget(fleet.deploy("svc", version, ne.id), ne.id);
  }

  @Test
  @Order(1)
  @DisplayName("INT-3 REC-1 svc 1.0 is installed, its daemon started by service.restart, and"
      + " success is reported only after the health check got '1.0' from the port")
  void install_daemonAnswers() throws Exception {
    JsonNode t = deploy("1.0");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(DaemonPackage.ask(port)).isEqualTo("svc 1.0");
    assertThat(ne.await("health_check", e -> e.path("ok").asBoolean()
        && e.path("version").asText().equals("1.0")).path("output").asText())
        .contains("answers svc 1.0");
    assertThat(fleet.device(ne.id).path("installed").toString()).contains("\"1.0\"");
  }

  @Test
  @Order(2)
  @DisplayName("INT-3 REC-1 svc 2.0 upgrades: the 1.0 daemon stopped, the 2.0 daemon answers"
      + " '2.0', the target succeeded")
  void upgrade_newDaemonAnswers() throws Exception {
    JsonNode t = deploy("2.0");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(DaemonPackage.ask(port)).isEqualTo("svc 2.0");
    assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
        .isEqualTo("versions/svc@2.0");
    assertThat(fleet.device(ne.id).path("installed").toString()).contains("\"2.0\"");
  }

  @Test
  @Order(3)
  @DisplayName("INT-3 REC-1 svc 3.0, whose daemon fails to start (exit 1, nothing bound), is"
      + " rolled back by the agent: 2.0 restarted and answering, installed.json 2.0, the"
      + " target failed HEALTH_CHECK_FAILED with the check's output")
  void daemonFailsToStart_rolledBack() throws Exception {
    JsonNode t = deploy("3.0");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText())
        .isEqualTo("HEALTH_CHECK_FAILED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("rolled back to svc 2.0").contains("not 'svc 3.0'");
    // The old daemon is back: started again by service.restart for 2.0, answering.
    DaemonPackage.awaitAnswer(port, "svc 2.0");
    assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
        .isEqualTo("versions/svc@2.0");
    assertThat(AgentFleet.JSON.readTree(ne.state().resolve("installed.json").toFile())
        .path("version").asText()).isEqualTo("2.0");
    assertThat(Files.readString(ne.home.resolve("daemon.log"))).contains("svc 3.0: cannot"
        + " start");
    List<String> restarted = ne.events().stream()
        .filter(e -> e.path("event").asText().equals("service_restarted"))
        .map(e -> e.path("version").asText()).toList();
    assertThat(restarted).containsExactly("1.0", "2.0", "3.0", "2.0");
    assertThat(fleet.device(ne.id).path("installed").toString()).contains("\"2.0\"")
        .doesNotContain("\"3.0\"");
    ne.stop();
  }
}
