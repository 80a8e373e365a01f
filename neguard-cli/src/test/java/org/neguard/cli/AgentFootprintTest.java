package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The agent's footprint on an H(e)NB (issue 14, docs/AGENT.md "Footprint"): a real agent
 * process, started as the launcher starts it (its own main class), keeps Jackson's data binding
 * (540 classes, 4 to 5 MiB of an idle agent) out of everything it does while idle: enrollment,
 * polls, the socket and package inventories, the evidence; and so does an agent restarted after
 * an install, which reads its journal and installed.json at start. The JVM's class-loading log
 * says what was loaded; an order (TUF, the bundle's manifest) may load it.
 */
@DisplayName("issue 14: an idle agent, fresh or serving an installed package, loads no data"
    + " binding")
class AgentFootprintTest {
  private static final String DATA_BINDING = "com.fasterxml.jackson.databind.";
  /** Loaded, not initialized, by the bytecode verifier for ObservationCodec's catch clause. */
  private static final List<String> VERIFIED_ONLY = List.of("DatabindException",
      "JsonMappingException", "exc.MismatchedInputException", "exc.PropertyBindingException",
      "exc.UnrecognizedPropertyException");

  @Test
  void idleAgent_freshThenRestartedAfterAnInstall_loadsNoDataBinding() throws Exception {
    try (AgentFleet fleet = AgentFleet.start("agent-footprint-test")) {
      int port = DaemonPackage.freePort();
      DaemonPackage.publish(fleet, "svc", "1.0", 1, port, false);
      AgentFleet.Ne ne = fleet.ne("ne-footprint").configure("mme");
      DaemonPackage.configure(ne, port, 4);
      ne.set("inventory.interval", "1s");
      try {
        Path fresh = ne.home.resolve("classes-fresh.log");
        ne.startAgentMain("-Xlog:class+load=info:file=" + fresh);
        idle(ne);
        ne.await("attested", e -> true); // first contact (REC-3): evidence signed and sent
        assertNoDataBinding(fresh);

        fleet.finalTarget(fleet.deploy("svc", "1.0", ne.id), ne.id);
        ne.stop();
        assertThat(ne.state().resolve("installed.json")).exists();
        Files.move(ne.log, ne.home.resolve("agent-before-restart.log"));
        Path serving = ne.home.resolve("classes-serving.log");
        ne.startAgentMain("-Xlog:class+load=info:file=" + serving);
        idle(ne);
        assertNoDataBinding(serving);
      } finally {
        DaemonPackage.stopAll(ne);
      }
    }
  }

  /**
   * The socket inventory judged, the package inventory sent, then three polls more (the
   * inventory is taken every second in between, sent when it changes).
   */
  private static void idle(AgentFleet.Ne ne) throws Exception {
    ne.await("inventory_reported", e -> true);
    ne.await("packages_reported", e -> true);
    long polls = polls(ne);
    for (int i = 0; i < 300 && polls(ne) < polls + 3; i++) {
      Thread.sleep(100);
    }
    assertThat(polls(ne)).as("three polls more").isGreaterThanOrEqualTo(polls + 3);
  }

  private static long polls(AgentFleet.Ne ne) throws Exception {
    return ne.eventNames().stream().filter("poll"::equals).count();
  }

  private static void assertNoDataBinding(Path classLog) throws Exception {
    List<String> loaded = Files.readAllLines(classLog).stream()
        .filter(l -> l.contains(DATA_BINDING))
        .filter(l -> VERIFIED_ONLY.stream().noneMatch(v -> l.contains(DATA_BINDING + v + " ")))
        .toList();
    assertThat(Files.readAllLines(classLog)).as("the class-loading log").isNotEmpty()
        .anyMatch(l -> l.contains("org.neguard.agent.AgentLog "));
    assertThat(loaded.size()).as("data-binding classes loaded by the idle agent; the first: %s",
        loaded.stream().limit(3).toList()).isZero();
  }
}
