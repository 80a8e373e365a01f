package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.server.DeviceEvidence;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.device.AttestationChallenge;
import org.neguard.api.device.DeviceOrder;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.server.Bundles;
import org.neguard.server.Http;
import org.neguard.server.TestServer.Role;
import org.neguard.server.device.TestDevice;
import org.neguard.server.pkg.StoredBundles;

/**
 * Deployments around the server's own validation entity, with devices that measure, sign their
 * evidence with their own keys (EvidenceSigner) and talk over mutual TLS as an agent does: a
 * device attests before its update and gets its order (ATT-1, ATT-2); its completion evidence
 * commits the update (ATT-4); bad completion evidence fails the targets, leaves the floor where it
 * was, quarantines the devices, sets off their policy's recovery and trips the circuit breaker;
 * a recovery campaign readmits them, across a server restart (REC-2). The tests run in order, on
 * one fleet.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AttestedDeploymentFlowCases {
  static final ObjectMapper JSON = new ObjectMapper();
  static DeployFixture f;
  static List<TreeDigest.Leaf> rim10;
  static List<TreeDigest.Leaf> rim11;
  static final Map<String, TestDevice> devices = new java.util.HashMap<>();
  static final Map<String, DeviceClient> clients = new java.util.HashMap<>();

  /**
   * The fleet on a new fixture (the embedded database when {@code database} is null): app 1.1.0
   * stored too, three devices attested trusted.
   */
  static void startOn(String database) throws Exception {
    f = new DeployFixture(database);
    f.realValidation();
    Path work = Files.createDirectories(f.s.dir.resolve("work11"));
    Path b = Bundles.signed(work, DeployFixture.PACKAGE, "1.1.0", 11, 8_000,
        f.s.pki.codeSigner().material());
    Http.Response r = f.s.http.upload(b, f.s.token(Role.PUBLISHER));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    StoredBundles bundles = f.bean(StoredBundles.class);
    rim10 = bundles.rimFiles(DeployFixture.PACKAGE, DeployFixture.VERSION).orElseThrow();
    rim11 = bundles.rimFiles(DeployFixture.PACKAGE, "1.1.0").orElseThrow();
    for (String id : List.of("fl-ok", "fl-bad-1", "fl-bad-2")) {
      TestDevice d = TestDevice.enroll(f.s, id, "mme", List.of(),
          List.of(new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1)));
      devices.put(id, d);
      clients.put(id, d.client);
      assertThat(attest(id, app(rim10)).path("result").asText()).isEqualTo("PASS");
      assertThat(trust(id)).isEqualTo("trusted");
    }
  }

  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  static Evidence.Component app(List<TreeDigest.Leaf> leaves) {
    return new Evidence.Component(DeployFixture.PACKAGE, PlatformTim.Reference.VENDOR_SIGNED,
        TreeDigest.of(leaves), leaves);
  }

  /** {@code leaves} with the first file's content changed (a tampered install). */
  static List<TreeDigest.Leaf> tampered(List<TreeDigest.Leaf> leaves) {
    List<TreeDigest.Leaf> out = new ArrayList<>(leaves);
    TreeDigest.Leaf first = out.get(0);
    out.set(0, new TreeDigest.Leaf(first.path(), "00".repeat(32), first.mode()));
    return out;
  }

  static String evidence(String id, String nonce, Evidence.Component... components) {
    return EvidenceSigner.of(devices.get(id).identity().keyPair().getPrivate())
        .sign(Evidence.of(id, HexFormat.of().parseHex(nonce), Instant.now(),
            List.of(components), Optional.empty()));
  }

  /** Answers the device's open challenge (asking for one through the users' API if none). */
  static JsonNode attest(String id, Evidence.Component... components) throws Exception {
    AttestationChallenge c = clients.get(id).poll(null).poll().attestation();
    if (c == null) {
      Http.Response r = f.s.http.post("/api/devices/" + id + "/attestations",
          f.s.token(Role.OPERATOR), Map.of());
      assertThat(r.status()).as(r.toString()).isEqualTo(202);
      c = clients.get(id).poll(null).poll().attestation();
    }
    assertThat(c).as("a challenge for " + id).isNotNull();
    return post(devices.get(id).identity(), evidence(id, c.nonce(), components));
  }

  static String trust(String id) throws Exception {
    return (String) f.rows("SELECT trust_state FROM devices WHERE id = ?", id).get(0)
        .get("trust_state");
  }

  /** POST /api/device/v1/evidence over the device's mutual TLS. */
  static JsonNode post(DeviceIdentity id, String jws) throws Exception {
    DeviceEvidence.Answer a = DeviceEvidence.post(f.s.server.deviceUrl(), id, jws);
    assertThat(a.status()).as(a.json().toString()).isEqualTo(200);
    return a.json();
  }

  /** The device's order as its poll gives it, and the order's payload. */
  static DeviceOrder order(String id) throws Exception {
    DeviceOrder o = clients.get(id).poll(null).poll().order();
    assertThat(o).as("an order for " + id).isNotNull();
    return o;
  }

  static JsonNode payload(DeviceOrder o) throws Exception {
    return JSON.readTree(new String(Base64.getUrlDecoder().decode(o.jws().split("\\.")[1]),
        StandardCharsets.UTF_8));
  }

  /**
   * ATT-1 for {@code ids}: rounds of the engine, each device answering whatever challenge its
   * poll carries with {@code components}, until each is ordered.
   */
  static void attestUntilOrdered(String deployment, List<String> ids,
      Evidence.Component... components) throws Exception {
    for (int round = 0; round < 6; round++) {
      f.scheduler.advanceAll();
      Map<String, String> t = f.targets(deployment);
      if (ids.stream().allMatch(id -> t.get(id).equals("issued"))) {
        return;
      }
      for (String id : ids) {
        assertThat(t.get(id)).as(id).isIn("attesting", "issued");
        AttestationChallenge c = clients.get(id).poll(null).poll().attestation();
        if (c != null) {
          post(devices.get(id).identity(), evidence(id, c.nonce(), components));
        }
      }
    }
    throw new AssertionError("not ordered: " + f.targets(deployment));
  }

  static void succeed(String id, DeviceOrder o, String version, String evidence)
      throws Exception {
    clients.get(id).feedback(new Feedback(o.orderId(), "succeeded", 100, List.of(),
        new InstalledPackage(DeployFixture.PACKAGE, version, 1), evidence));
  }

  static String packageVersion(String id) throws Exception {
    return (String) f.rows("SELECT version FROM device_packages WHERE device_id = ? AND name"
        + " = ?", id, DeployFixture.PACKAGE).get(0).get("version");
  }

  @Test
  @Order(1)
  @DisplayName("ATT-1 ATT-2 ATT-4 a trusted device attests before its update, gets an order"
      + " with the nonce and the new RIM, and its matching evidence commits the update")
  void att1_att2_att4_attestedUpdateCommits() throws Exception {
    String id = f.running(DeployFixture.body(List.of("fl-ok"), "packageVersion", "1.1.0"));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-ok", "attesting");
    assertThat(clients.get("fl-ok").poll(null).poll().order()).as("no order before ATT-1")
        .isNull();
    assertThat(f.rows("SELECT reason FROM attestations WHERE device_id = 'fl-ok' AND"
        + " deployment_id = ?", id)).extracting(r -> r.get("reason"))
        .containsExactly("BEFORE_UPDATE");

    attestUntilOrdered(id, List.of("fl-ok"), app(rim10));

    DeviceOrder o = order("fl-ok");
    // The order records the attestation that passed the gate, and the API shows it (the
    // integrity evidence reads which one it was).
    Object gate = f.rows("SELECT id FROM attestations WHERE device_id = 'fl-ok' AND"
        + " deployment_id = ? AND reason = 'BEFORE_UPDATE' AND result = 'PASS'", id).get(0)
        .get("id");
    assertThat(f.rows("SELECT gate_attestation_id FROM deployment_targets WHERE order_id = ?",
        o.orderId()).get(0).get("gate_attestation_id")).isEqualTo(gate);
    JsonNode shown = f.s.http.get("/api/deployments/" + id + "/targets",
        f.s.token(Role.AUDITOR)).json();
    assertThat(shown.findValuesAsText("attestationId")).containsExactly((String) gate);
    JsonNode p = payload(o);
    assertThat(p.path("attestation").path("rim").asText()).isEqualTo(TreeDigest.of(rim11));
    String nonce = p.path("attestation").path("nonce").asText();
    assertThat(f.rows("SELECT expected_tim FROM deployment_targets WHERE order_id = ?",
        o.orderId()).get(0).get("expected_tim"))
        .isEqualTo(PlatformTim.of(List.of(app(rim11)).stream()
            .map(c -> new PlatformTim.Component(c.name(), c.digest(), c.reference()))
            .toList()));
    assertThat(packageVersion("fl-ok")).isEqualTo(DeployFixture.VERSION);

    succeed("fl-ok", o, "1.1.0", evidence("fl-ok", nonce, app(rim11)));

    assertThat(f.targets(id)).containsEntry("fl-ok", "succeeded");
    assertThat(packageVersion("fl-ok")).as("the floor moves on the attested commit")
        .isEqualTo("1.1.0");
    assertThat(trust("fl-ok")).isEqualTo("trusted");
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("completed");
  }

  @Test
  @Order(2)
  @DisplayName("ATT-4 bad completion evidence (a file differs from the RIM): targets failed"
      + " ATTESTATION_FAILED, floor unchanged, devices quarantined, their policy's recovery"
      + " created, and the circuit breaker pauses the wave as a bad reference")
  void att4_badCompletionEvidence_failsTargets_breakerPauses() throws Exception {
    Http.Response policy = f.s.http.send("PUT", "/api/attestation/policies/mme",
        f.s.token(Role.APPROVER), JSON.writeValueAsString(Map.of("neType", "mme", "actions",
            List.of("quarantine", "reinstall=app@1.0.0"))));
    assertThat(policy.status()).as(policy.toString()).isEqualTo(200);
    List<String> bad = List.of("fl-bad-1", "fl-bad-2");
    String id = f.running(DeployFixture.body(bad, "packageVersion", "1.1.0",
        "errorThreshold", 100));
    attestUntilOrdered(id, bad, app(rim10));

    for (String d : bad) {
      DeviceOrder o = order(d);
      String nonce = payload(o).path("attestation").path("nonce").asText();
      succeed(d, o, "1.1.0", evidence(d, nonce, app(tampered(rim11))));
    }

    for (String d : bad) {
      assertThat(f.targets(id)).containsEntry(d, "failed ATTESTATION_FAILED,"
          + "MEASUREMENT_MISMATCH");
      assertThat(packageVersion(d)).as("not committed").isEqualTo(DeployFixture.VERSION);
      assertThat(trust(d)).isEqualTo("quarantined");
    }
    assertThat((String) f.rows("SELECT reason_message FROM deployment_targets WHERE"
        + " deployment_id = ? AND device_id = 'fl-bad-1'", id).get(0).get("reason_message"))
        .contains("changed " + rim11.get(0).path());

    f.scheduler.advanceAll();
    JsonNode dep = f.deployment(id);
    assertThat(dep.path("state").asText()).isEqualTo("paused");
    assertThat(dep.path("stateReason").asText())
        .contains("2 of 2 finished devices failed their attestation")
        .contains("a bad reference: all 2 failed on")
        .contains("changed " + rim11.get(0).path());

    // REC-1 -> REC-2: each quarantined device's policy asked for a reinstall: a recovery of it,
    // created by the policy, awaiting approval.
    List<Map<String, Object>> policyMade = f.rows("SELECT d.id, t.device_id, d.state FROM"
        + " deployments d JOIN deployment_targets t ON t.deployment_id = d.id WHERE d.kind ="
        + " 'recovery' AND d.created_by = 'system:policy' ORDER BY t.device_id");
    assertThat(policyMade).extracting(r -> r.get("device_id")).containsExactlyElementsOf(bad);
    assertThat(policyMade).allMatch(r -> "pending_approval".equals(r.get("state")));
    for (Map<String, Object> r : policyMade) {
      assertThat(f.audit("deployment " + r.get("id"))).first().asString()
          .contains("triggered by the attestation policy of NE type mme (reinstall)");
      f.cancelQuietly((String) r.get("id"));
    }
    f.cancelQuietly(id);
  }

  @Test
  @Order(3)
  @DisplayName("REC-2 a recovery campaign over the quarantined devices, one per wave, survives"
      + " a server restart mid-way and readmits each device by its evidence")
  void rec2_campaign_survivesRestart_readmits() throws Exception {
    Http.Response r = f.s.http.post("/api/recoveries", f.s.token(Role.OPERATOR), Map.of(
        "neType", "mme", "packageName", DeployFixture.PACKAGE, "packageVersion",
        DeployFixture.VERSION, "waveSize", 1));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(r.json().path("targetCount").asInt()).isEqualTo(2);
    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-bad-1", "issued")
        .containsEntry("fl-bad-2", "waiting");
    DeviceOrder o1 = order("fl-bad-1");
    assertThat(payload(o1).path("attestation").path("rim").asText())
        .isEqualTo(TreeDigest.of(rim10));

    f.restart();
    for (String d : List.of("fl-bad-1", "fl-bad-2")) {
      clients.put(d, DeviceClient.of(f.s.server.deviceUrl(), devices.get(d).identity()));
    }
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-bad-1", "issued")
        .containsEntry("fl-bad-2", "waiting");
    assertThat(order("fl-bad-1").orderId()).isEqualTo(o1.orderId());

    String nonce1 = payload(o1).path("attestation").path("nonce").asText();
    succeed("fl-bad-1", o1, DeployFixture.VERSION, evidence("fl-bad-1", nonce1, app(rim10)));
    assertThat(trust("fl-bad-1")).as("readmitted").isEqualTo("trusted");
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-bad-1", "succeeded")
        .containsEntry("fl-bad-2", "issued");

    DeviceOrder o2 = order("fl-bad-2");
    String nonce2 = payload(o2).path("attestation").path("nonce").asText();
    succeed("fl-bad-2", o2, DeployFixture.VERSION, evidence("fl-bad-2", nonce2, app(rim10)));
    f.scheduler.advanceAll();
    assertThat(trust("fl-bad-2")).isEqualTo("trusted");
    JsonNode dep = f.deployment(id);
    assertThat(dep.path("state").asText()).as(dep.toString()).isEqualTo("completed");
    assertThat(dep.path("kind").asText()).isEqualTo("recovery");
  }

  @Test
  @Order(4)
  @DisplayName("ATT-1 REC-3 a device enrolled moments before its wave (unknown): its attestation"
      + " before the update is awaited, and only once it passed is it ordered")
  void att1_unknownDevice_orderedOnlyAfterItsAttestationPassed() throws Exception {
    TestDevice d = TestDevice.enroll(f.s, "fl-new", "mme", List.of(),
        List.of(new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1)));
    devices.put("fl-new", d);
    clients.put("fl-new", DeviceClient.of(f.s.server.deviceUrl(), d.identity()));
    assertThat(trust("fl-new")).isEqualTo("unknown");
    String id = f.running(DeployFixture.body(List.of("fl-new"), "packageVersion", "1.1.0"));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-new", "attesting");
    assertThat(clients.get("fl-new").poll(null).poll().order()).isNull();

    attestUntilOrdered(id, List.of("fl-new"), app(rim10));

    assertThat(trust("fl-new")).isEqualTo("trusted");
    DeviceOrder o = order("fl-new");
    succeed("fl-new", o, "1.1.0", evidence("fl-new",
        payload(o).path("attestation").path("nonce").asText(), app(rim11)));
    assertThat(f.targets(id)).containsEntry("fl-new", "succeeded");
    assertThat(packageVersion("fl-new")).isEqualTo("1.1.0");
  }

  @Test
  @Order(8)
  @DisplayName("ATT-4 completion evidence that reports the new package by its digest alone (the"
      + " right digest, no files) fails: evidence over an order's nonce carries every file")
  void att4_completionEvidenceWithoutFiles_fails() throws Exception {
    String dev = enrolledTrusted("fl-nofiles").get(0);
    String id = f.running(DeployFixture.body(List.of(dev), "packageVersion", "1.1.0"));
    attestUntilOrdered(id, List.of(dev), app(rim10));
    DeviceOrder o = order(dev);
    succeed(dev, o, "1.1.0", evidence(dev, payload(o).path("attestation").path("nonce")
        .asText(), app(rim11).withoutFiles()));
    assertThat(f.targets(id).get(dev)).startsWith("failed ATTESTATION_FAILED");
    assertThat(packageVersion(dev)).as("not committed").isEqualTo(DeployFixture.VERSION);
    assertThat((String) f.rows("SELECT reason_message FROM deployment_targets WHERE"
        + " deployment_id = ? AND device_id = ?", id, dev).get(0).get("reason_message"))
        .contains("by its digest alone");
    f.cancelQuietly(id);
  }

  /** Devices enrolled with app 1.0.0 and attested trusted, as {@link #startOn} makes its own. */
  static List<String> enrolledTrusted(String... ids) throws Exception {
    for (String d : ids) {
      TestDevice t = TestDevice.enroll(f.s, d, "mme", List.of(),
          List.of(new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1)));
      devices.put(d, t);
      clients.put(d, t.client);
      assertThat(attest(d, app(rim10)).path("result").asText()).isEqualTo("PASS");
    }
    return List.of(ids);
  }

  @Test
  @Order(6)
  @DisplayName("ATT-1 OBJ-1 a target still attesting when its wave met its success threshold and"
      + " the next wave started is ordered once its attestation passes; the deployment completes")
  void att1_stragglerOfASucceededWave_orderedWhenItPasses() throws Exception {
    List<String> ids = enrolledTrusted("fl-s1", "fl-s2", "fl-s3");
    String id = f.running(DeployFixture.body(ids, "packageVersion", "1.1.0", "waves",
        List.of("2", "1"), "successThreshold", 50));
    f.scheduler.advanceAll();
    Map<Integer, List<String>> waves = new java.util.TreeMap<>();
    for (Map<String, Object> r : f.rows("SELECT device_id, wave FROM deployment_targets WHERE"
        + " deployment_id = ? ORDER BY device_id", id)) {
      waves.computeIfAbsent(((Number) r.get("wave")).intValue(), w -> new ArrayList<>())
          .add((String) r.get("device_id"));
    }
    String first = waves.get(1).get(0);
    String straggler = waves.get(1).get(1);
    String last = waves.get(2).get(0);

    attestUntilOrdered(id, List.of(first), app(rim10));
    DeviceOrder o = order(first);
    succeed(first, o, "1.1.0", evidence(first,
        payload(o).path("attestation").path("nonce").asText(), app(rim11)));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).as("wave 1 met 50 %%: wave 2 started, the straggler attests")
        .containsEntry(straggler, "attesting").containsEntry(last, "attesting");

    attestUntilOrdered(id, List.of(straggler, last), app(rim10));
    assertThat(f.rows("SELECT wave FROM deployment_targets WHERE deployment_id = ? AND"
        + " device_id = ?", id, straggler).get(0).get("wave")).as("counted in the running wave")
        .isEqualTo(2);
    for (String d : List.of(straggler, last)) {
      DeviceOrder od = order(d);
      succeed(d, od, "1.1.0", evidence(d,
          payload(od).path("attestation").path("nonce").asText(), app(rim11)));
    }
    f.scheduler.advanceAll();
    assertThat(f.targets(id).values()).containsOnly("succeeded");
    assertThat(f.state(id)).isEqualTo("completed");
  }

  @Test
  @Order(7)
  @DisplayName("ATT-1 OBJ-1 a target that passes its attestation after the last wave met its"
      + " threshold is refused (DEPLOYMENT_STATE), not ordered past every threshold; the"
      + " deployment completes")
  void att1_stragglerAfterTheLastWave_refusedDeploymentState() throws Exception {
    List<String> ids = enrolledTrusted("fl-t1", "fl-t2");
    String id = f.running(DeployFixture.body(ids, "packageVersion", "1.1.0", "waves",
        List.of("2"), "successThreshold", 50));
    f.scheduler.advanceAll();
    attestUntilOrdered(id, List.of("fl-t1"), app(rim10));
    DeviceOrder o = order("fl-t1");
    succeed("fl-t1", o, "1.1.0", evidence("fl-t1",
        payload(o).path("attestation").path("nonce").asText(), app(rim11)));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-t2", "attesting");

    AttestationChallenge c = clients.get("fl-t2").poll(null).poll().attestation();
    assertThat(c).isNotNull();
    post(devices.get("fl-t2").identity(), evidence("fl-t2", c.nonce(), app(rim10)));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-t2", "refused DEPLOYMENT_STATE");
    assertThat(clients.get("fl-t2").poll(null).poll().order()).isNull();
    assertThat(f.state(id)).isEqualTo("completed");
  }

  /** 304 polls answered through Spring's dispatcher (the controller), as the server counts them. */
  static double dispatched304s() {
    String name = "http_server_requests_seconds_count{error=\"none\",exception=\"none\","
        + "method=\"GET\",outcome=\"REDIRECTION\",status=\"304\",uri=\"/api/device/v1/poll\"} ";
    return f.s.http.get("/actuator/prometheus", f.s.adminToken()).body().lines()
        .filter(l -> l.startsWith(name)).mapToDouble(l -> Double.parseDouble(l.substring(
            name.length()))).findFirst().orElse(0);
  }

  @Test
  @Order(5)
  @DisplayName("ATT-1 OBJ-1 the production 304 path (the admission's joined statement, the real"
      + " validation entity): a new order, then its move issued -> downloading, each end the"
      + " 304s at the next poll")
  void att1_joined304Path_endsOnNewOrderAndOnItsStateChange() throws Exception {
    // The engine tests' stand-in validation sends the 304 path down pollState; this fleet's real
    // one must not, or the joined statement production runs would go untested again.
    assertThat(f.orders.pollJoin()).as("the joined 304 path is the one taken").isNotNull();
    TestDevice d = TestDevice.enroll(f.s, "fl-poll", "mme", List.of(),
        List.of(new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1)));
    devices.put("fl-poll", d);
    DeviceClient c = DeviceClient.of(f.s.server.deviceUrl(), d.identity());
    clients.put("fl-poll", c);
    String id = f.running(DeployFixture.body(List.of("fl-poll"), "packageVersion", "1.1.0"));
    f.scheduler.advanceAll();
    AttestationChallenge asked = c.poll(null).poll().attestation();
    assertThat(asked).as("ATT-1 before the update").isNotNull();
    post(d.identity(), evidence("fl-poll", asked.nonce(), app(rim10)));

    // Challenge answered, order not yet issued: only the order can change the ETag from here.
    DeviceClient.PollAnswer waiting = c.poll(null);
    assertThat(waiting.poll().order()).isNull();
    assertThat(waiting.poll().attestation()).isNull();
    double dispatched = dispatched304s();
    assertThat(c.poll(waiting.etag()).changed()).as("the control: 304 before the order")
        .isFalse();
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("fl-poll", "issued");
    DeviceClient.PollAnswer ordered = c.poll(waiting.etag());
    assertThat(ordered.changed()).as("a new order ends the 304s").isTrue();
    assertThat(ordered.poll().order()).isNotNull();
    assertThat(c.poll(ordered.etag()).changed()).as("the control: 304 while issued").isFalse();

    DeviceOrder o = ordered.poll().order();
    c.feedback(new Feedback(o.orderId(), "downloading", 10, List.of(), null));
    assertThat(f.targets(id)).containsEntry("fl-poll", "downloading");
    DeviceClient.PollAnswer downloading = c.poll(ordered.etag());
    assertThat(downloading.changed()).as("issued -> downloading ends the 304s").isTrue();
    assertThat(downloading.etag()).isNotEqualTo(ordered.etag());
    assertThat(downloading.poll().order().orderId()).isEqualTo(o.orderId());
    assertThat(c.poll(downloading.etag()).changed()).as("the control: 304 while downloading")
        .isFalse();
    // A join that misread an input would make its ETag differ from the controller's: the
    // controller would then answer the controls, correctly but through the dispatcher.
    assertThat(dispatched304s()).as("the three controls answered by the joined 304 path, below"
        + " the dispatcher").isEqualTo(dispatched);
    f.cancelQuietly(id);
  }
}
