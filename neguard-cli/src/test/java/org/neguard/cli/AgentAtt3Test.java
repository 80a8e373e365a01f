package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.server.ServerConfig;

/**
 * ATT-3 end to end (docs/AGENT.md, "Attestation"): a real server whose deployments attest
 * before and after each update (ATT-1, ATT-2, ATT-4) and a real agent process. The agent checks
 * the order's RIM against the bundle's signed manifest, measures before the switch, re-measures
 * after the health check and reports evidence over the order's nonce; a version whose install
 * leaves the NE other than its signed RIM says (here: its health check drops a file into the
 * new slot, as a rogue install script would) is rolled back by the agent itself.
 *
 * <p>Needs the server side of ATT-1/2/4 (branch att-deploy): without it orders carry no
 * attestation and 3.0 would succeed.
 */
@DisplayName("ATT-3 a real agent measures around each attested update and rolls back a"
    + " difference by itself")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentAtt3Test {
  static AgentFleet fleet;
  static AgentFleet.Ne ne;
  /** Between the agent and the server, passing everything on until a test cuts it off. */
  static TamperingProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-att3-test", b -> b.attest(new ServerConfig.Attest(
        Duration.ofHours(1), Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200), 2)));
    for (int v = 1; v <= 4; v++) {
      fleet.publish("core", v + ".0", v, "mme", ("core " + v + ".0")
          .getBytes(StandardCharsets.UTF_8));
    }
    ne = fleet.ne("ne-att3");
    org.neguard.server.keys.ServerKeys.DeviceCa ca = AttestFixture.bean(fleet,
        org.neguard.server.keys.ServerKeys.class).deviceCa();
    proxy = new TamperingProxy(ca.certificate(), ca.key(), fleet.server.deviceUrl(),
        ne.state().resolve("identity"));
    ne.configure("mme").set("server.url", proxy.url().toString());
    // The health check passes every version; for 3.0 it also drops a file into the new slot:
    // healthy, but not what the vendor signed.
    Path check = ne.home.resolve("health.sh");
    Files.writeString(check, "#!/bin/sh\nif [ \"$NEGUARD_VERSION\" = 3.0 ]; then"
        + " echo 'nc -l 4444' > \"$NEGUARD_SLOT/lib/implant\"; fi\necho healthy\n");
    check.toFile().setExecutable(true);
    ne.set("health.check", check.toString()).set("health.timeout", "5s");
    // A platform directory beside the package: the reference an update starts from is the
    // NE's committed measurement, so it must have passed once with something in it.
    Path etc = Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
    ne.set("measure.paths", "etc=" + etc);
    ne.start();
    JsonNode first = ne.await("attested", e -> e.path("reason").asText()
        .equals("FIRST_CONTACT"));
    assertThat(first.path("result").asText()).as("%s", first).isEqualTo("PENDING_BASELINE");
    // Four eyes on the platform baseline the first contact proposed, then a passing attestation.
    AttestFixture.approveBaselines(fleet, ne.id, fleet.appr,
        fleet.addUser("appr2", "approver"));
    AttestFixture.request(fleet, fleet.op, ne.id);
    JsonNode passed = ne.await("attested", e -> e.path("reason").asText().equals("REQUESTED"));
    assertThat(passed.path("result").asText()).as("%s", passed).isEqualTo("PASS");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      if (fleet != null) {
        fleet.close();
      }
    }
  }

  static JsonNode deploy(String version) throws Exception {
    return fleet.finalTarget(fleet.deploy("core", version, ne.id), ne.id);
  }

  static String current() throws Exception {
    return Files.readSymbolicLink(ne.install().resolve("current")).toString();
  }

  @Test
  @Order(1)
  @DisplayName("ATT-3 ATT-4 core 1.0 (first install) and 2.0: each order carries an"
      + " attestation, the agent's evidence after the install matches the signed RIM and the"
      + " server takes it: both targets succeeded")
  void attestedUpdates_succeedWithEvidence() throws Exception {
    for (String v : List.of("1.0", "2.0")) {
      JsonNode t = deploy(v);
      assertThat(t.path("state").asText()).as("%s\n%s", t, Files.readString(ne.log))
          .isEqualTo("succeeded");
      String orderId = t.path("orderId").asText();
      JsonNode a = ne.await("attested", e -> e.path("reason").asText().equals("AFTER_UPDATE")
          && (orderId.isEmpty() || e.path("orderId").asText().equals(orderId)));
      assertThat(a.path("trustBase").asText()).isEqualTo("SOFTWARE_KEY");
      assertThat(current()).isEqualTo("versions/core@" + v);
    }
    // Before each order, the validation entity's challenge was answered (ATT-1).
    assertThat(ne.events().stream().filter(e -> e.path("event").asText().equals("attested")
        && e.path("reason").asText().equals("BEFORE_UPDATE")).count()).isGreaterThanOrEqualTo(1);
  }

  @Test
  @Order(2)
  @DisplayName("ATT-3 attack: core 3.0's install leaves an extra file in its slot (health check"
      + " passes): the agent's re-measurement differs from the signed RIM, it rolls back to"
      + " 2.0 by itself and reports MEASUREMENT_MISMATCH naming the component and the file")
  void extraFileAfterInstall_rolledBack() throws Exception {
    JsonNode t = deploy("3.0");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    JsonNode reason = t.path("reasons").path(0);
    assertThat(reason.path("code").asText()).as("%s", t).isEqualTo("MEASUREMENT_MISMATCH");
    assertThat(reason.path("message").asText()).contains("rolled back to core 2.0")
        .contains("core changed (extra lib/implant)");
    assertThat(current()).isEqualTo("versions/core@2.0");
    assertThat(AgentFleet.JSON.readTree(ne.state().resolve("installed.json").toFile())
        .path("version").asText()).isEqualTo("2.0");
    assertThat(ne.eventNames()).containsSubsequence("measurement_mismatch", "rolled_back",
        "refused");
    assertThat(fleet.device(ne.id).path("installed").toString()).contains("\"2.0\"")
        .doesNotContain("\"3.0\"");
  }

  @Test
  @Order(3)
  @DisplayName("ATT-3 REC-1 the evidence survives a crash after DONE: core 4.0 installs and"
      + " matches, the server unreachable from the final feedback on, the agent killed (-9)"
      + " with the success and its evidence journalled; restarted, it sends them and the server"
      + " takes the evidence: target succeeded")
  void crashAfterDone_evidenceSentAfterRestart() throws Exception {
    proxy.tamper((req, resp) -> {
      if (req.target().startsWith("/api/device/v1/feedback")
          && new String(req.body(), StandardCharsets.UTF_8).contains("\"installing\"")) {
        proxy.cut(true); // the last word the server hears before the crash
      }
      return resp;
    });
    String deployment;
    JsonNode outcome;
    try {
      deployment = fleet.deploy("core", "4.0", ne.id);
      Path journal = ne.state().resolve("journal.json");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        JsonNode j = Files.exists(journal) ? AgentFleet.JSON.readTree(journal.toFile()) : null;
        if (j != null && j.path("phase").asText().equals("DONE")
            && j.path("order").path("packageVersion").asText().equals("4.0")) {
          outcome = j.path("outcome");
          assertThat(j.path("acked").asBoolean()).isFalse();
          break;
        }
        assertThat(System.nanoTime()).as("4.0 reaches DONE; log:\n%s",
            Files.readString(ne.log)).isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(outcome.path("status").asText()).isEqualTo("succeeded");
      assertThat(outcome.path("evidence").asText()).as("%s", outcome).contains(".");
      ne.kill();
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
      proxy.cut(false);
    }
    // What the restarted agent logs: the bytes after the crash (a line cut by kill -9 must not
    // shift the count of what came before).
    long before = Files.size(ne.log);
    ne.start();
    JsonNode t = fleet.finalTarget(deployment, ne.id);
    assertThat(t.path("state").asText()).as("%s\n%s", t, Files.readString(ne.log))
        .isEqualTo("succeeded");
    // The server has the report before the agent logs that it was taken: wait for the line.
    List<String> after = eventsSince(ne, before);
    long logged = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!after.contains("reported") && System.nanoTime() < logged) {
      Thread.sleep(100);
      after = eventsSince(ne, before);
    }
    assertThat(after).containsSubsequence("recovering", "reported")
        .doesNotContain("activated", "rolled_back");
    assertThat(current()).isEqualTo("versions/core@4.0");
  }

  /** The events {@code ne} logged after byte {@code from} of its log. */
  static List<String> eventsSince(AgentFleet.Ne ne, long from) throws java.io.IOException {
    byte[] log = Files.readAllBytes(ne.log);
    return new String(log, (int) from, log.length - (int) from, StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("{\"ts\"")).map(l -> {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"event\":\"([^\"]*)\"")
              .matcher(l);
          return m.find() ? m.group(1) : "";
        }).toList();
  }
}
