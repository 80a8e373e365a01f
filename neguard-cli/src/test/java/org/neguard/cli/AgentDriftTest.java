package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.inventory.LocalInventory;

/**
 * Port drift end to end (HRD-1, HRD-4): a real agent process reports the /proc socket inventory
 * of this host (its network namespace is the test's) to a real server on loopback every second;
 * a port the test opens is a finding (the agent's {@code drift} line, an audit row, the webhook,
 * {@code device list --out-of-policy}); the port closed, the finding is resolved and the NE leaves
 * the list.
 */
@DisplayName("HRD-1 HRD-4 port drift: a real agent process, a real server, a real port")
class AgentDriftTest {
  static final String NE_TYPE = "mme-drift";
  static HttpServer hook;
  static final List<String> alerts = Collections.synchronizedList(new ArrayList<>());
  static AgentFleet fleet;

  @BeforeAll
  static void start() throws Exception {
    hook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    hook.createContext("/alerts", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        alerts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    hook.start();
    URI url = URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/alerts");
    fleet = AgentFleet.start("drift", b -> b.alertWebhook(url));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (fleet != null) {
        fleet.close();
      }
    } finally {
      if (hook != null) {
        hook.stop(0);
      }
    }
  }

  /**
   * A policy that declares every port this host listens on now (the server's own among them),
   * so that the port the test opens next is the one undeclared.
   */
  static String hostPolicy() throws Exception {
    Set<String> keys = new TreeSet<>();
    for (ObservedPort p : LocalInventory.system().take().ports()) {
      if (p.state() == PortState.OPEN) {
        keys.add(p.transport().name().toLowerCase(Locale.ROOT) + " " + p.port());
      }
    }
    StringBuilder y = new StringBuilder("schema: neguard-hardening-policy/1\nneType: " + NE_TYPE
        + "\ndescription: what this test host listens on\nallowed:\n");
    for (String k : keys) {
      String[] tp = k.split(" ");
      y.append("  - transport: ").append(tp[0]).append("\n    port: ").append(tp[1])
          .append("\n    service: host-").append(tp[1])
          .append("\n    justification: listening before the test opened its port\n");
    }
    return y.toString();
  }

  static String awaitAlert(String... fragments) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      synchronized (alerts) {
        for (String a : alerts) {
          if (List.of(fragments).stream().allMatch(a::contains)) {
            return a;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no alert with " + List.of(fragments) + "; got " + alerts);
  }

  static List<String> outOfPolicy() {
    CliRun r = CliRun.as(fleet.op, "device", "list", "--out-of-policy", "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    return StreamSupport.stream(r.json().path("devices").spliterator(), false)
        .map(d -> d.path("id").asText()).toList();
  }

  /** Whether an audit row of {@code action} by the NE has a detail matching {@code detail}. */
  static boolean audited(String action, String detail) {
    CliRun r = CliRun.as(fleet.admin, "audit", "list", "--limit", "100", "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    java.util.regex.Pattern p = java.util.regex.Pattern.compile(detail);
    return StreamSupport.stream(r.json().path("rows").spliterator(), false)
        .anyMatch(row -> row.path("action").asText().equals(action)
            && row.path("actor").asText().equals("device drift-ne")
            && p.matcher(row.path("detail").asText()).find());
  }

  @Test
  @DisplayName("HRD-1 HRD-4 a policy uploaded with the CLI (a bad one refused, nothing stored);"
      + " a new listening port is a finding: agent's drift line, audit row, webhook, device list"
      + " --out-of-policy, device show; the port closed resolves it and the NE leaves the list")
  void newListeningPort_findingOpened_thenClosed_resolved() throws Exception {
    Path bad = Files.writeString(fleet.dir.resolve("bad-policy.yaml"),
        "schema: neguard-hardening-policy/1\nneType: " + NE_TYPE + "\nallowed:\n  - port: 22\n");
    CliRun refused = CliRun.as(fleet.admin, "policy", "upload", "--ne-type", NE_TYPE,
        bad.toString(), "--json");
    assertThat(refused.exit()).as("%s", refused).isEqualTo(1);
    assertThat(refused.out()).contains("POLICY_INVALID", "missing 'transport'");
    CliRun none = CliRun.as(fleet.op, "policy", "list", "--json");
    assertThat(none.json().path("policies")).isEmpty();

    String yaml = hostPolicy();
    Path policy = Files.writeString(fleet.dir.resolve("policy.yaml"), yaml);
    CliRun up = CliRun.as(fleet.admin, "policy", "upload", "--ne-type", NE_TYPE,
        policy.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    assertThat(up.json().path("version").asInt()).isEqualTo(1);
    CliRun show = CliRun.as(fleet.op, "policy", "show", NE_TYPE, "--version", "1", "--json");
    assertThat(show.json().path("content").asText()).isEqualTo(yaml);

    AgentFleet.Ne ne = fleet.ne("drift-ne").configure(NE_TYPE).set("inventory.interval", "1s")
        .start();
    ne.await("inventory_reported", e -> e.path("policyVersion").asInt() == 1);

    int port;
    try (ServerSocket socket = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
      // A Java socket is an IPv6 one: bound to 127.0.0.1 it is listed as ::ffff:127.0.0.1.
      java.util.regex.Pattern ours = java.util.regex.Pattern.compile("tcp/" + port
          + " on (::ffff:)?127\\.0\\.0\\.1 undeclared");
      JsonNode drift = ne.await("drift", e -> ours.matcher(e.path("ports").asText()).find());
      assertThat(drift.path("policyVersion").asInt()).isEqualTo(1);
      assertThat(audited("DRIFT_DETECTED", "undeclared tcp/" + port
          + " on (::ffff:)?127\\.0\\.0\\.1")).as("DRIFT_DETECTED row").isTrue();
      String alert = awaitAlert("\"event\":\"drift.detected\"", "\"deviceId\":\"drift-ne\"",
          "\"port\":" + port + ",");
      assertThat(alert).contains("\"neType\":\"" + NE_TYPE + "\"", "\"kind\":\"UNDECLARED\"");
      assertThat(outOfPolicy()).contains("drift-ne");
      JsonNode device = fleet.device("drift-ne");
      assertThat(device.path("openFindings").findValues("port").stream()
          .map(p -> p.path("port").asInt())).contains(port);
    }

    JsonNode resolved = ne.await("drift_resolved",
        e -> e.path("ports").asText().contains("tcp/" + port + " on "));
    assertThat(resolved.path("findings").asInt()).isPositive();
    assertThat(audited("DRIFT_RESOLVED", "tcp/" + port
        + " on (::ffff:)?127\\.0\\.0\\.1 closed")).as("DRIFT_RESOLVED row").isTrue();
    awaitAlert("\"event\":\"drift.resolved\"", "\"deviceId\":\"drift-ne\"",
        "\"port\":" + port + ",", "\"resolution\":\"closed\"");
    CliRun history = CliRun.as(fleet.op, "device", "drift", "drift-ne", "--json");
    assertThat(history.exit()).as("%s", history).isZero();
    JsonNode ours = StreamSupport.stream(history.json().path("findings").spliterator(), false)
        .filter(f -> f.path("port").path("port").asInt() == port).findFirst().orElseThrow();
    assertThat(ours.path("resolution").asText()).isEqualTo("closed");
    // Other programs on a shared test host may open ports meanwhile: wait for the list to clear
    // of this NE (every finding of it closed), within the agent's next reports.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outOfPolicy().contains("drift-ne")) {
      assertThat(System.nanoTime()).as("drift-ne still out of policy: %s",
          CliRun.as(fleet.op, "device", "drift", "drift-ne").out()).isLessThan(deadline);
      Thread.sleep(500);
    }
    ne.stop();
  }
}
