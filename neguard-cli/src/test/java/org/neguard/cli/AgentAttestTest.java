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
  /** Between the agent and the server, passing everything on until a test cuts it off. */
  static TamperingProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    // Challenges checked every 200 ms, 30 s to answer, no scheduled re-attestation meanwhile.
    fleet = AgentFleet.start("agent-attest-test", b -> b.attest(new ServerConfig.Attest(
        Duration.ofHours(1), Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200), 2)));
    appr2 = fleet.addUser("appr2", "approver");
    fleet.publish("core", "1.0", 1, "mme", "core 1.0".getBytes(StandardCharsets.UTF_8));
    ne = fleet.ne("ne-attest");
    org.neguard.server.keys.ServerKeys.DeviceCa ca = AttestFixture.bean(fleet,
        org.neguard.server.keys.ServerKeys.class).deviceCa();
    proxy = new TamperingProxy(ca.certificate(), ca.key(), fleet.server.deviceUrl(),
        ne.state().resolve("identity"));
    ne.configure("mme").set("server.url", proxy.url().toString());
    Path etc = Files.createDirectories(ne.home.resolve("etc"));
    Files.writeString(etc.resolve("hosts"), "127.0.0.1 localhost\n");
    ne.set("measure.paths", "etc=" + etc);
    ne.start();
    ne.await("enrolled", e -> true);
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
  @DisplayName("ATT-3 OBJ-2 evidence that cannot be delivered (the server unreachable from the"
      + " challenge's poll on) is not lost: after the outage the next poll sees the challenge"
      + " again (the agent dropped its ETag, so no 304 hides it) and answers it, PASS")
  void undelivered_answeredAfterTheOutage() throws Exception {
    long answered = answers("REQUESTED");
    int before = ne.events().size();
    proxy.tamper((req, resp) -> {
      if (req.target().startsWith("/api/device/v1/poll") && resp.status() == 200
          && AgentFleet.JSON.readTree(resp.body()).path("attestation").isObject()) {
        proxy.cut(true); // the challenge gets through; the evidence does not
      }
      return resp;
    });
    try {
      AttestFixture.request(fleet, fleet.op, ne.id);
      ne.await("poll_error", e -> true);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (ne.events().subList(before, ne.events().size()).stream()
          .filter(e -> e.path("event").asText().equals("poll_error")).count() < 2) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(answers("REQUESTED")).as("nothing answered during the outage")
          .isEqualTo(answered);
    } finally {
      proxy.tamper(TamperingProxy.Tamper.PASS);
      proxy.cut(false);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (answers("REQUESTED") <= answered) {
      assertThat(System.nanoTime()).as("answered after the outage; log:\n%s",
          Files.readString(ne.log)).isLessThan(deadline);
      Thread.sleep(100);
    }
    JsonNode a = last("attested", "REQUESTED");
    assertThat(a.path("result").asText()).as("%s", a).isEqualTo("PASS");
  }

  @Test
  @Order(4)
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

  @Test
  @Order(5)
  @DisplayName("ATT-3 'current' pointed by hand outside versions/: the agent refuses to measure"
      + " (UNSAFE_PATH), says so, and sends no evidence: the challenge is left to the"
      + " validation entity to expire")
  void currentChangedByHand_notAnswered() throws Exception {
    long answered = answers("REQUESTED");
    Path current = ne.install().resolve("current");
    Path slot = Files.readSymbolicLink(current);
    Files.delete(current);
    Files.createSymbolicLink(current, Path.of("/"));
    try {
      JsonNode pending = AttestFixture.request(fleet, fleet.op, ne.id);
      JsonNode e = ne.await("attest_error", x -> x.path("reason").asText().equals("REQUESTED"));
      assertThat(e.path("code").asText()).isEqualTo("UNSAFE_PATH");
      assertThat(e.path("message").asText()).contains("not answered").contains("expires");
      Thread.sleep(2_000); // a few polls more: still nothing sent
      assertThat(answers("REQUESTED")).isEqualTo(answered);
      AttestationResult still = AttestFixture.client(fleet, fleet.op).get("/api/attestations/"
          + pending.path("id").asText(), AttestationResult.class);
      assertThat(still.judgedAt()).as("%s", still).isNull();
    } finally {
      Files.delete(current);
      Files.createSymbolicLink(current, slot);
    }
  }
}
