package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.server.Http;
import org.neguard.server.NeguardServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.attest.PlatformValidation.BeforeUpdate;
import org.neguard.server.attest.PlatformValidation.Readiness;
import org.neguard.server.attest.PolicyTriggered;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the engine does with each answer of the validation entity (ATT-1, ATT-2, ATT-4, the
 * circuit breaker) and recovery campaigns (REC-2), on a real server with the entity replaced by
 * a scripted stand-in (the engine's collaborator); the flow with real evidence is
 * {@link AttestedDeploymentFlowTest}.
 */
@DisplayName("ATT-1 ATT-2 ATT-4 REC-2 deployments around platform validation (engine)")
class AttestedDeploymentTest {
  static DeployFixture f;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    f = new DeployFixture();
  }

  @AfterAll
  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @AfterEach
  void reset() {
    f.clock.set(Clock.systemUTC());
    f.pv.before.clear();
    f.pv.after.clear();
    f.pv.noReference.clear();
    f.pv.failures.clear();
  }

  private static void succeed(String device, String order, String evidence) {
    f.orders.feedback(device, new Feedback(order, "succeeded", 100, List.of(),
        new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1), evidence));
  }

  private static JsonNode payload(String order) throws Exception {
    String jws = (String) f.rows("SELECT order_jws FROM deployment_targets WHERE order_id = ?",
        order).get(0).get("order_jws");
    return JSON.readTree(new String(Base64.getUrlDecoder().decode(jws.split("\\.")[1]),
        StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("ATT-1 ATT-2 an update target waits attesting (no order) until its attestation"
      + " passed; then its order carries the nonce and the package's RIM, and the expectation"
      + " is stored")
  void att1_attestingUntilPassed_thenOrderWithNonceAndRim() throws Exception {
    f.device("a1-1", "mme");
    f.pv.before.put("a1-1", new BeforeUpdate(Readiness.PENDING, "att-x", null, "awaiting"));
    String id = f.running(DeployFixture.body(List.of("a1-1")));

    f.scheduler.advanceAll();
    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a1-1", "attesting");
    assertThat(f.orderId(id, "a1-1")).isNull();
    assertThat(f.orders.pollState("a1-1", "serial-a1-1").orderId()).isNull();
    assertThat(f.pv.calls).filteredOn(c -> c.equals("before a1-1 " + id)).hasSizeGreaterThan(1);
    assertThat(f.deployment(id).path("waves").get(0).path("inProgress").asInt()).isEqualTo(1);

    f.pv.before.put("a1-1", new BeforeUpdate(Readiness.PASSED, "att-x", null, null));
    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a1-1", "issued");
    String order = f.orderId(id, "a1-1");
    JsonNode p = payload(order);
    StoredBundles.Bundle b = f.bean(StoredBundles.class)
        .find(DeployFixture.PACKAGE, DeployFixture.VERSION).orElseThrow();
    assertThat(p.path("formatVersion").asText()).isEqualTo("1.1");
    assertThat(p.path("attestation").path("rim").asText()).isEqualTo(b.rim());
    Map<String, Object> row = f.rows("SELECT attestation_nonce, expected_tim,"
        + " expected_components FROM deployment_targets WHERE order_id = ?", order).get(0);
    assertThat(p.path("attestation").path("nonce").asText())
        .isEqualTo(row.get("attestation_nonce"));
    assertThat((String) row.get("expected_tim")).hasSize(64);
    assertThat(new String((byte[]) row.get("expected_components"), StandardCharsets.UTF_8))
        .contains("\"name\":\"app\"").contains("\"reference\":\"VENDOR_SIGNED\"");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith(
        "DEPLOYMENT_ATTEST success") && a.contains("a1-1"));
    f.cancelQuietly(id);
  }

  @Test
  @DisplayName("ATT-1 a failed attestation before the update: refused with the entity's code,"
      + " never ordered")
  void att1_failed_refusedNoOrder() throws Exception {
    f.device("a1-f", "mme");
    f.pv.before.put("a1-f", new BeforeUpdate(Readiness.FAILED, "att-f", "ATTESTATION_FAILED",
        "component app: changed bin/app"));
    String id = f.running(DeployFixture.body(List.of("a1-f"), "errorThreshold", 100));

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a1-f", "refused ATTESTATION_FAILED");
    assertThat(f.orderId(id, "a1-f")).isNull();
    assertThat(f.rows("SELECT reason_message FROM deployment_targets WHERE deployment_id = ?",
        id).get(0).get("reason_message")).isEqualTo("component app: changed bin/app");
  }

  @Test
  @DisplayName("ATT-1 REC-2 a quarantined or untrusted device is refused an update,"
      + " DEVICE_NOT_TRUSTED, without even asking the entity; an unknown one (first contact"
      + " not judged yet) is asked like a trusted one")
  void att1_notTrusted_refused() throws Exception {
    f.deviceIn("quarantined", "a1-q", "mme");
    f.deviceIn("untrusted", "a1-t", "mme");
    f.deviceIn("unknown", "a1-u", "mme");
    f.pv.before.put("a1-u", new BeforeUpdate(Readiness.PENDING, "att-u", null, "awaiting"));
    String id = f.running(DeployFixture.body(List.of("a1-q", "a1-t", "a1-u"),
        "errorThreshold", 100));

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a1-q", "refused DEVICE_NOT_TRUSTED")
        .containsEntry("a1-t", "refused DEVICE_NOT_TRUSTED")
        .containsEntry("a1-u", "attesting");
    assertThat(f.pv.calls).noneMatch(c -> c.startsWith("before a1-q")
        || c.startsWith("before a1-t")).contains("before a1-u " + id);
    f.cancelQuietly(id);
  }

  @Test
  @DisplayName("ATT-1 a device that never passes is refused when its order would have run out:"
      + " the wave does not wait for ever")
  void att1_pendingPastValidity_refused() throws Exception {
    f.device("a1-p", "mme");
    f.pv.before.put("a1-p", new BeforeUpdate(Readiness.PENDING, "att-p", null, "awaiting"));
    java.time.Instant t0 = java.time.Instant.now();
    f.at(t0);
    String id = f.running(DeployFixture.body(List.of("a1-p"), "errorThreshold", 100));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("a1-p", "attesting");

    f.at(t0.plus(DeploymentScheduler.ORDER_VALIDITY).plusSeconds(1));
    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a1-p", "refused ATTESTATION_FAILED");
    assertThat(f.orderId(id, "a1-p")).isNull();
  }

  @Test
  @DisplayName("ATT-2 no signed reference for the device's expectation: refused NO_REFERENCE,"
      + " no order")
  void att2_noReference_refused() throws Exception {
    f.device("a2-n", "mme");
    f.pv.noReference.put("a2-n", "component etc has no approved baseline");
    String id = f.running(DeployFixture.body(List.of("a2-n"), "errorThreshold", 100));

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("a2-n", "refused NO_REFERENCE");
    assertThat(f.orderId(id, "a2-n")).isNull();
  }

  @Test
  @DisplayName("ATT-4 success without evidence on an attested order: 400, the order stays as it"
      + " was, nothing committed")
  void att4_successWithoutEvidence_400() throws Exception {
    f.device("a4-e", "mme");
    String id = f.running(DeployFixture.body(List.of("a4-e")));
    f.scheduler.advanceAll();
    String order = f.orderId(id, "a4-e");

    assertThatThrownBy(() -> succeed("a4-e", order, null))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.reasons().get(0).message()).contains("ATT-4");
        });

    assertThat(f.targets(id)).containsEntry("a4-e", "issued");
    assertThat(f.rows("SELECT * FROM device_packages WHERE device_id = 'a4-e'")).isEmpty();
    assertThat(f.pv.calls).noneMatch(c -> c.startsWith("after a4-e"));
    f.cancelQuietly(id);
  }

  @Test
  @DisplayName("ATT-4 completion evidence that fails: target failed ATTESTATION_FAILED with the"
      + " entity's reasons, the security-version floor does not move")
  void att4_failingEvidence_failedFloorUnchanged() throws Exception {
    f.device("a4-f", "mme");
    f.installed("a4-f", DeployFixture.PACKAGE, 0);
    String id = f.running(DeployFixture.body(List.of("a4-f"), "errorThreshold", 100,
        "attestationFailureShare", 100));
    f.scheduler.advanceAll();
    String order = f.orderId(id, "a4-f");
    String tim = (String) f.rows("SELECT expected_tim FROM deployment_targets WHERE order_id"
        + " = ?", order).get(0).get("expected_tim");
    f.pv.after.put("a4-f", FakeValidation.changed("a4-f", "app", "bin/app"));

    succeed("a4-f", order, "evidence");

    assertThat(f.targets(id)).containsEntry("a4-f",
        "failed ATTESTATION_FAILED,MEASUREMENT_MISMATCH");
    assertThat(f.pv.calls).contains("after a4-f false " + tim);
    assertThat(f.rows("SELECT version, security_version FROM device_packages WHERE device_id ="
        + " 'a4-f'").get(0)).containsEntry("version", "x");
    assertThat(f.audit("order " + order)).anyMatch(a -> a.startsWith("ORDER_FEEDBACK failure")
        && a.contains("ATTESTATION_FAILED") && a.contains("not committed"));
  }

  @Test
  @DisplayName("ATT-4 completion evidence that passes: succeeded, and only then the device's"
      + " package and security version (the floor) move")
  void att4_passingEvidence_committed() throws Exception {
    f.device("a4-p", "mme");
    f.installed("a4-p", DeployFixture.PACKAGE, 0);
    String id = f.running(DeployFixture.body(List.of("a4-p")));
    f.scheduler.advanceAll();

    succeed("a4-p", f.orderId(id, "a4-p"), "evidence");

    assertThat(f.targets(id)).containsEntry("a4-p", "succeeded");
    assertThat(f.rows("SELECT version, security_version FROM device_packages WHERE device_id ="
        + " 'a4-p'").get(0)).containsEntry("version", DeployFixture.VERSION);
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("completed");
  }

  @Test
  @DisplayName("ATT-4 circuit breaker: most of a wave failing on one component and file pauses"
      + " the deployment as a bad reference")
  void breaker_sameFile_pausesAsBadReference() throws Exception {
    List<String> devices = List.of("cb-1", "cb-2", "cb-3");
    for (String d : devices) {
      f.device(d, "mme");
    }
    String id = f.running(DeployFixture.body(devices, "errorThreshold", 100,
        "attestationFailureShare", 50));
    f.scheduler.advanceAll();
    f.pv.after.put("cb-1", FakeValidation.changed("cb-1", "app", "bin/app"));
    f.pv.after.put("cb-2", FakeValidation.changed("cb-2", "app", "bin/app"));
    succeed("cb-3", f.orderId(id, "cb-3"), "evidence");
    succeed("cb-1", f.orderId(id, "cb-1"), "evidence");
    f.scheduler.advanceAll();
    assertThat(f.state(id)).as("1 of 2 is not more than 50%").isEqualTo("running");

    succeed("cb-2", f.orderId(id, "cb-2"), "evidence");
    f.scheduler.advanceAll();

    JsonNode d = f.deployment(id);
    assertThat(d.path("state").asText()).isEqualTo("paused");
    assertThat(d.path("attestationFailureShare").asInt()).isEqualTo(50);
    assertThat(d.path("stateReason").asText()).startsWith("paused by the engine: ")
        .contains("2 of 3 finished devices failed their attestation")
        .contains("a bad reference: all 2 failed on after the update, component app is changed:"
            + " changed bin/app");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith(
        "DEPLOYMENT_PAUSE failure ATTESTATION_FAILED: circuit breaker"));
  }

  @Test
  @DisplayName("ATT-4 circuit breaker: failures on different files pause the deployment as a"
      + " possible attack")
  void breaker_differingFailures_pausesAsPossibleAttack() throws Exception {
    List<String> devices = List.of("cd-1", "cd-2");
    for (String d : devices) {
      f.device(d, "mme");
    }
    String id = f.running(DeployFixture.body(devices, "errorThreshold", 100));
    f.scheduler.advanceAll();
    f.pv.after.put("cd-1", FakeValidation.changed("cd-1", "app", "bin/app"));
    f.pv.after.put("cd-2", FakeValidation.changed("cd-2", "etc", "passwd"));
    succeed("cd-1", f.orderId(id, "cd-1"), "evidence");
    succeed("cd-2", f.orderId(id, "cd-2"), "evidence");

    f.scheduler.advanceAll();

    assertThat(f.state(id)).isEqualTo("paused");
    assertThat(f.deployment(id).path("stateReason").asText())
        .contains("differing failures: possible attack");
  }

  @Test
  @DisplayName("ATT-4 the circuit breaker's share is checked: 0 or 101 is 400")
  void breaker_badShare_400() {
    for (int bad : new int[] {0, 101}) {
      Http.Response r = f.create(f.s.token(Role.OPERATOR), DeployFixture.body(List.of("x"),
          "attestationFailureShare", bad));
      assertThat(r.status()).as(r.toString()).isEqualTo(400);
      assertThat(r.body()).contains("attestationFailureShare");
    }
  }

  private static Http.Response recover(Map<String, Object> body) {
    return f.s.http.post("/api/recoveries", f.s.token(Role.OPERATOR), body);
  }

  @Test
  @DisplayName("REC-2 a recovery campaign over the quarantined devices of a type: approved like"
      + " any deployment, waves as its concurrency limit, no ATT-1 gate, readmission by"
      + " afterUpdate(recovery), and it survives a server restart mid-way")
  void rec2_campaign_approvedWavesRecoveryNoGate_survivesRestart() throws Exception {
    f.deviceIn("quarantined", "rc-1", "rcv");
    f.deviceIn("quarantined", "rc-2", "rcv");
    f.deviceIn("trusted", "rc-3", "rcv");
    f.deviceIn("quarantined", "rc-4", "rcv");
    f.disable("rc-4");
    // The package is of type mme: a campaign names the type and a package of that type.
    assertThat(recover(Map.of("neType", "rcv", "packageName", DeployFixture.PACKAGE,
        "packageVersion", DeployFixture.VERSION)).status()).isEqualTo(400);
    f.update("UPDATE devices SET ne_type = 'mme' WHERE id LIKE 'rc-%'");

    Http.Response r = recover(Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE,
        "packageVersion", DeployFixture.VERSION, "deviceIds", List.of("rc-1", "rc-2"),
        "waveSize", 1));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(r.json().path("kind").asText()).isEqualTo("recovery");
    assertThat(r.json().path("state").asText()).isEqualTo("pending_approval");
    assertThat(r.json().path("targetCount").asInt()).isEqualTo(2);
    assertThat(r.json().path("waves").size()).isEqualTo(2);
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("rc-1", "waiting");

    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("rc-1", "issued").containsEntry("rc-2", "waiting");
    assertThat(f.pv.calls).noneMatch(c -> c.startsWith("before rc-"))
        .contains("expected rc-1 app true");
    String order1 = f.orderId(id, "rc-1");

    f.restart();
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("rc-1", "issued").containsEntry("rc-2", "waiting");
    succeed("rc-1", order1, "evidence");
    assertThat(f.pv.calls).anyMatch(c -> c.startsWith("after rc-1 true "));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("rc-1", "succeeded").containsEntry("rc-2", "issued");

    // The only device of its wave failing its recovery is more than half the wave: the circuit
    // breaker pauses the campaign for a person to look (the known-good package may be bad).
    f.pv.after.put("rc-2", FakeValidation.changed("rc-2", "app", "bin/app"));
    succeed("rc-2", f.orderId(id, "rc-2"), "evidence");
    f.scheduler.advanceAll();
    JsonNode d = f.deployment(id);
    assertThat(d.path("state").asText()).as(d.toString()).isEqualTo("paused");
    assertThat(d.path("stateReason").asText()).contains("1 of 1 finished devices failed");
    assertThat(f.targets(id)).containsEntry("rc-2", "failed ATTESTATION_FAILED,"
        + "MEASUREMENT_MISMATCH");
    assertThat(f.audit("deployment " + id)).first().asString()
        .startsWith("RECOVERY_CREATE success recovery campaign");
  }

  @Test
  @DisplayName("REC-2 a device that stays quarantined does not hold back the campaign: a wave is"
      + " done when each of its devices finished")
  void rec2_oneDeviceFails_campaignStillCompletes() throws Exception {
    List<String> ids = List.of("rs-1", "rs-2", "rs-3");
    for (String d : ids) {
      f.deviceIn("quarantined", d, "mme");
    }
    Http.Response r = recover(Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE,
        "packageVersion", DeployFixture.VERSION, "deviceIds", ids, "waveSize", 3));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.scheduler.advanceAll();
    f.pv.after.put("rs-2", FakeValidation.changed("rs-2", "app", "bin/app"));
    for (String d : ids) {
      succeed(d, f.orderId(id, d), "evidence");
    }

    f.scheduler.advanceAll();

    assertThat(f.state(id)).isEqualTo("completed");
    assertThat(f.targets(id)).containsEntry("rs-1", "succeeded")
        .containsEntry("rs-2", "failed ATTESTATION_FAILED,MEASUREMENT_MISMATCH")
        .containsEntry("rs-3", "succeeded");
  }

  @Test
  @DisplayName("REC-2 recovery to a lower security version than a device runs is a rollback:"
      + " approvers must acknowledge it")
  void rec2_lowerSecurityVersion_isAnApprovedRollback() throws Exception {
    f.deviceIn("quarantined", "rr-1", "mme");
    f.installed("rr-1", DeployFixture.PACKAGE, 7);
    Http.Response r = recover(Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE,
        "packageVersion", DeployFixture.VERSION, "deviceIds", List.of("rr-1")));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(r.json().path("rollback").asBoolean()).isTrue();

    Http.Response plain = f.approve(id, f.s.token(Role.APPROVER));
    assertThat(plain.status()).isEqualTo(422);
    assertThat(plain.code()).isEqualTo("ROLLBACK_REFUSED");
    assertThat(f.act(id, "approve", f.s.token(Role.APPROVER),
        Map.of("acknowledgeRollback", true)).status()).isEqualTo(200);
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("rr-1", "issued");
    assertThat(payload(f.orderId(id, "rr-1")).path("rollback").asBoolean()).isTrue();
    f.cancelQuietly(id);
  }

  @Test
  @DisplayName("REC-2 bad recovery requests: 400 each, nothing created")
  void rec2_badRequests_400() throws Exception {
    f.deviceIn("quarantined", "rb-q", "mme");
    long before = f.count("SELECT COUNT(*) FROM deployments");
    List<Map<String, Object>> bad = List.of(
        Map.of("packageName", DeployFixture.PACKAGE, "packageVersion", DeployFixture.VERSION),
        Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE, "packageVersion",
            DeployFixture.VERSION, "trustStates", List.of("disabled")),
        Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE, "packageVersion",
            DeployFixture.VERSION, "deviceIds", List.of("rb-q", "no-such")),
        Map.of("neType", "mme", "packageName", DeployFixture.PACKAGE, "packageVersion",
            DeployFixture.VERSION, "waveSize", 0),
        Map.of("neType", "nothing-here", "packageName", DeployFixture.PACKAGE,
            "packageVersion", DeployFixture.VERSION));
    for (Map<String, Object> b : bad) {
      Http.Response r = recover(b);
      assertThat(r.status()).as("%s -> %s", b, r).isEqualTo(400);
    }
    assertThat(recover(Map.of("neType", "mme", "packageName", "nope", "packageVersion", "1"))
        .status()).isEqualTo(404);
    assertThat(f.s.http.post("/api/recoveries", f.s.token(Role.APPROVER), Map.of("neType",
        "mme")).status()).isEqualTo(403);
    assertThat(f.count("SELECT COUNT(*) FROM deployments")).isEqualTo(before);
  }

  @Test
  @DisplayName("REC-1 REC-2 a failure policy asking for a reinstall creates a recovery of that"
      + " device, awaiting approval, its audit row saying the policy set it off")
  void rec2_policyEvent_createsPendingRecovery() throws Exception {
    f.deviceIn("quarantined", "rp-1", "mme");
    Field ctx = NeguardServer.class.getDeclaredField("context");
    ctx.setAccessible(true);
    ConfigurableApplicationContext c = (ConfigurableApplicationContext) ctx.get(f.s.server);
    PolicyTriggered e = new PolicyTriggered("rp-1", "mme", "reinstall", DeployFixture.PACKAGE,
        DeployFixture.VERSION, "ATTESTATION_FAILED: component app: changed bin/app");

    c.publishEvent(e);
    c.publishEvent(e);

    List<Map<String, Object>> rows = f.rows("SELECT d.id, d.kind, d.state, d.created_by FROM"
        + " deployments d JOIN deployment_targets t ON t.deployment_id = d.id WHERE t.device_id"
        + " = 'rp-1'");
    assertThat(rows).as("one open recovery per device").hasSize(1);
    assertThat(rows.get(0)).containsEntry("kind", "recovery")
        .containsEntry("state", "pending_approval").containsEntry("created_by", "system:policy");
    String id = (String) rows.get(0).get("id");
    assertThat(f.audit("deployment " + id)).singleElement().asString()
        .contains("triggered by the attestation policy of NE type mme (reinstall)");
    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.cancelQuietly(id);
  }
}
