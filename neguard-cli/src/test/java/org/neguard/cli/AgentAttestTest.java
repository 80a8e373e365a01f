package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.api.attest.AttestationResult;
import org.neguard.server.ServerConfig;

/**
 * The agent's side of platform attestation end to end (docs/AGENT.md, "Attestation"): a real
 * server on loopback with its validation entity, a real agent process. The server challenges
 * the NE in its poll answer; the agent measures, signs evidence over the nonce with its device
 * key and posts it; the validation entity verifies and judges it.
 */
@DisplayName("ATT-3 OBJ-2 the agent answers the validation entity's challenges with evidence")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentAttestTest {
  static AgentFleet fleet;
  static AgentFleet.Ne ne;
  static Path appr2;

  @BeforeAll
  static void start() throws Exception {
    // Challenges checked every 200 ms, 30 s to answer, no scheduled re-attestation meanwhile.
    fleet = AgentFleet.start("agent-attest-test", b -> b.attest(new ServerConfig.Attest(
        Duration.ofHours(1), Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200), 2)));
    appr2 = fleet.addUser("appr2", "approver");
    fleet.publish("core", "1.0", 1, "mme", "core 1.0".getBytes(StandardCharsets.UTF_8));
    ne = fleet.ne("ne-attest").configure("mme");
    Path etc = Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
    ne.set("measure.paths", "etc=" + etc);
    ne.start();
    ne.await("enrolled", e -> true);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  static long answers(String reason) throws Exception {
    return ne.events().stream().filter(e -> e.path("event").asText().equals("attested")
        && e.path("reason").asText().equals(reason)).count();
  }

  static JsonNode last(String event, String reason) throws Exception {
    return ne.events().stream().filter(e -> e.path("event").asText().equals(event)
        && e.path("reason").asText().equals(reason)).reduce((a, b) -> b).orElseThrow();
  }

  /** An attestation requested by the operator, and the agent's answer to it. */
  static JsonNode requestAndAwait() throws Exception {
    long before = answers("REQUESTED");
    AttestFixture.request(fleet, fleet.op, ne.id);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (answers("REQUESTED") <= before) {
      assertThat(System.nanoTime()).as("the agent answers the request; log:\n%s",
          Files.readString(ne.log)).isLessThan(deadline);
      Thread.sleep(100);
    }
    return last("attested", "REQUESTED");
  }

  @Test
  @Order(1)
  @DisplayName("ATT-3 OBJ-2 the first-contact challenge after enrollment is answered: evidence"
      + " signed by the device key over the server's nonce, verified, its platform directory"
      + " proposed as a baseline (PENDING_BASELINE); once two approvers approved it, a"
      + " requested attestation passes and the device is trusted")
  void firstContact_answered_thenPassesOnTheApprovedBaseline() throws Exception {
    JsonNode a = ne.await("attested", e -> e.path("reason").asText().equals("FIRST_CONTACT"));
    assertThat(a.path("result").asText()).as("%s", a).isEqualTo("PENDING_BASELINE");
    assertThat(a.path("trustBase").asText()).isEqualTo("SOFTWARE_KEY");
    AttestationResult stored = AttestFixture.client(fleet, fleet.op).get("/api/attestations/"
        + a.path("id").asText(), AttestationResult.class);
    assertThat(stored.deviceId()).isEqualTo(ne.id);
    assertThat(stored.tim()).isEqualTo(a.path("tim").asText())
        .isEqualTo(last("measured", "FIRST_CONTACT").path("tim").asText());

    AttestFixture.approveBaselines(fleet, ne.id, fleet.appr, appr2);
    JsonNode passed = requestAndAwait();
    assertThat(passed.path("result").asText()).as("%s", passed).isEqualTo("PASS");
    assertThat(passed.path("trustState").asText()).isEqualTo("trusted");
  }

  @Test
  @Order(2)
  @DisplayName("ATT-3 OBJ-2 with core 1.0 installed, an operator's attestation request is"
      + " answered: the package measured against its vendor-signed RIM and the platform"
      + " directory against its baseline, PASS")
  void installed_requested_passes() throws Exception {
    JsonNode t = fleet.finalTarget(fleet.deploy("core", "1.0", ne.id), ne.id);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    JsonNode a = requestAndAwait();
    assertThat(a.path("result").asText()).as("%s", a).isEqualTo("PASS");
    assertThat(a.path("trustState").asText()).isEqualTo("trusted");
    JsonNode measured = last("measured", "REQUESTED");
    assertThat(measured.path("components").asInt()).isEqualTo(2);
    assertThat(measured.path("tim").asText()).isEqualTo(a.path("tim").asText());
  }

  @Test
  @Order(3)
  @DisplayName("ATT-3 OBJ-2 attack: a byte of the installed package changed on the NE; the next"
      + " requested attestation is answered with what the NE really is and fails"
      + " MEASUREMENT_MISMATCH naming the file (the agent reports, never hides)")
  void tamperedPackage_answeredAndFails() throws Exception {
    Files.writeString(ne.install().resolve("current/lib/core.so"), "core 1.0 with an implant");
    JsonNode a = requestAndAwait();
    assertThat(a.path("result").asText()).as("%s", a).isEqualTo("FAIL");
    assertThat(a.path("codes").asText()).contains("MEASUREMENT_MISMATCH");
    assertThat(a.path("message").asText()).contains("lib/core.so");
    assertThat(a.path("trustState").asText()).isNotEqualTo("trusted");
  }
}
