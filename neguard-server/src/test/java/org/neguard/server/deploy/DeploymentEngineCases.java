package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.problem.ProblemReason;
import org.neguard.server.Http;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer.Role;
import org.neguard.server.attest.PolicyTriggered;
import org.neguard.server.web.ApiException;

/**
 * The wave engine on a real server: devices checked as they are when their wave starts (NE
 * type, rollback, disabled), waves advancing only past the success threshold, the error
 * threshold pausing, the maintenance window, expiry, orders past their validity. The scheduler
 * is driven by {@link DeploymentScheduler#advanceAll} under a test clock; feedback goes through
 * {@link DeviceOrders}, the agents' API's service.
 */
abstract class DeploymentEngineCases {
  static DeployFixture f;

  /** Starts the shared fixture: the embedded database when {@code database} is null. */
  static void startOn(String database) throws Exception {
    f = new DeployFixture(database);
  }

  static void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @AfterEach
  void realTime() {
    f.clock.set(Clock.systemUTC());
  }

  private static void report(String device, String order, String status) {
    // Orders carry an attestation nonce: a success carries evidence (judged by the stand-in).
    f.orders.feedback(device, new Feedback(order, status, null, List.of(), null,
        "succeeded".equals(status) ? "evidence" : null));
  }

  private static void fail(String device, String order) {
    f.orders.feedback(device, new Feedback(order, "failed", null,
        List.of(new ProblemReason("DIGEST_MISMATCH", "bundle digest differs", null)), null));
  }

  @Test
  @DisplayName("OBJ-1 a downgrade without rollback approval: refused, no order")
  void wave_downgradeWithoutRollback_isRefusedRollbackRefused() throws Exception {
    f.device("rb-1", "mme");
    f.device("rb-2", "mme");
    f.installed("rb-1", DeployFixture.PACKAGE, 5);
    String id = f.running(DeployFixture.body(List.of("rb-1", "rb-2")));

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("rb-1", "refused ROLLBACK_REFUSED")
        .containsEntry("rb-2", "issued");
    assertThat(f.orderId(id, "rb-1")).isNull();
    assertThat(f.count("SELECT COUNT(*) FROM deployment_targets WHERE deployment_id = ? AND"
        + " device_id = 'rb-1' AND order_jws IS NULL", id)).isEqualTo(1);
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith("DEPLOYMENT_WAVE_START")
        && a.contains("rb-1 ROLLBACK_REFUSED"));
  }

  @Test
  @DisplayName("OBJ-1 a rollback approved as one reaches the device that runs a newer version")
  void wave_rollbackApproved_isOrderedWithTheRollbackFlag() throws Exception {
    f.device("rb-3", "mme");
    f.installed("rb-3", DeployFixture.PACKAGE, 5);
    String id = f.created(DeployFixture.body(List.of("rb-3"), "rollback", true));
    assertThat(f.act(id, "approve", f.s.token(Role.APPROVER),
        Map.of("acknowledgeRollback", true)).status()).isEqualTo(200);

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("rb-3", "issued");
    String jws = (String) f.rows("SELECT order_jws FROM deployment_targets WHERE order_id = ?",
        f.orderId(id, "rb-3")).get(0).get("order_jws");
    String payload = new String(java.util.Base64.getUrlDecoder().decode(jws.split("\\.")[1]),
        java.nio.charset.StandardCharsets.UTF_8);
    assertThat(payload).contains("\"rollback\":true").contains("\"deviceId\":\"rb-3\"");
  }

  @Test
  @DisplayName("OBJ-1 an NE type mismatch refuses that device only")
  void wave_neTypeMismatch_refusesThatDeviceOnly() throws Exception {
    f.device("ne-mme", "mme");
    f.device("ne-amf", "amf");
    f.device("ne-off", "mme");
    f.disable("ne-off");
    String id = f.running(DeployFixture.body(List.of("ne-mme", "ne-amf", "ne-off")));

    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("ne-amf", "refused NE_TYPE_MISMATCH")
        .containsEntry("ne-off", "refused DEVICE_DISABLED")
        .containsEntry("ne-mme", "issued");
    assertThat(f.orderId(id, "ne-amf")).isNull();
    assertThat(f.orderId(id, "ne-mme")).isNotNull();
  }

  @Test
  @DisplayName("OBJ-1 a device disabled while its order is open: the order fails at the next"
      + " tick, DEVICE_DISABLED, and the wave does not wait for it")
  void disabledWhileOrdered_orderFailsAtOnce() throws Exception {
    f.device("dd-1", "mme");
    f.device("dd-2", "mme");
    String id = f.running(DeployFixture.body(List.of("dd-1", "dd-2"),
        "successThreshold", 50, "errorThreshold", 100));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("dd-1", "issued").containsEntry("dd-2", "issued");
    report("dd-1", f.orderId(id, "dd-1"), "succeeded");

    f.disable("dd-2");
    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("dd-2", "failed DEVICE_DISABLED");
    assertThat(f.state(id)).isEqualTo("completed");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith(
        "ORDER_DEVICE_DISABLED failure DEVICE_DISABLED"));
  }

  @Test
  @DisplayName("OBJ-1 past the last wave's threshold the deployment completes only once every"
      + " order has ended: a device still installing is not cut off")
  void lastWave_pastThreshold_completesOnlyWhenEveryOrderHasEnded() throws Exception {
    f.device("l-1", "mme");
    f.device("l-2", "mme");
    String id = f.running(DeployFixture.body(List.of("l-1", "l-2"),
        "successThreshold", 50, "errorThreshold", 100));
    f.scheduler.advanceAll();
    report("l-1", f.orderId(id, "l-1"), "succeeded");
    report("l-2", f.orderId(id, "l-2"), "installing");
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("running");
    assertThat(f.deployment(id).path("waves").path(0).path("state").asText())
        .isEqualTo("succeeded");

    report("l-2", f.orderId(id, "l-2"), "succeeded");
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("completed");
    assertThat(f.targets(id)).containsEntry("l-1", "succeeded").containsEntry("l-2", "succeeded");
  }

  @Test
  @DisplayName("REC-2 wave 2 starts only once wave 1 reaches its success threshold")
  void waves_advanceOnlyPastTheSuccessThreshold() throws Exception {
    for (String d : List.of("w-1", "w-2", "w-3", "w-4")) {
      f.device(d, "mme");
    }
    String id = f.running(DeployFixture.body(List.of("w-1", "w-2", "w-3", "w-4"),
        "waves", List.of("2", "2"), "successThreshold", 100, "errorThreshold", 100));
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("w-1", "issued").containsEntry("w-2", "issued")
        .containsEntry("w-3", "waiting").containsEntry("w-4", "waiting");

    report("w-1", f.orderId(id, "w-1"), "succeeded");
    report("w-2", f.orderId(id, "w-2"), "installing");
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("w-3", "waiting");
    assertThat(f.deployment(id).path("currentWave").asInt()).isEqualTo(1);

    report("w-2", f.orderId(id, "w-2"), "succeeded");
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("w-3", "issued").containsEntry("w-4", "issued");
    assertThat(f.deployment(id).path("waves").path(0).path("state").asText())
        .isEqualTo("succeeded");

    report("w-3", f.orderId(id, "w-3"), "succeeded");
    report("w-4", f.orderId(id, "w-4"), "succeeded");
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("completed");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith("DEPLOYMENT_COMPLETE"));
  }

  @Test
  @DisplayName("REC-2 the error threshold pauses the deployment and says why")
  void errorThreshold_pausesWithAReason_andResumeAcceptsThoseFailures() throws Exception {
    for (String d : List.of("e-1", "e-2", "e-3", "e-4")) {
      f.device(d, "mme");
    }
    // Created by a user who is operator and approver both: the four-eyes rule, not the role,
    // must stop them resuming it below.
    String creator = f.s.token(Role.OPERATOR, Role.APPROVER);
    Http.Response created = f.create(creator, DeployFixture.body(
        List.of("e-1", "e-2", "e-3", "e-4"), "successThreshold", 50, "errorThreshold", 25));
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    String id = created.json().path("id").asText();
    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.scheduler.advanceAll();

    fail("e-1", f.orderId(id, "e-1"));
    f.scheduler.advanceAll();

    assertThat(f.state(id)).isEqualTo("paused");
    String reason = f.deployment(id).path("stateReason").asText();
    assertThat(reason).contains("wave 1 of 1").contains("1 of 4 devices failed")
        .contains("error threshold of 25%");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith(
        "DEPLOYMENT_PAUSE failure error threshold reached"));
    assertThat(f.targets(id)).containsEntry("e-1", "failed DIGEST_MISMATCH");

    // Resuming accepts the failures, a decision like an approval (four-eyes): refused to its
    // creator, though an approver, and to an operator who is no approver; nothing changes.
    for (String by : List.of(creator, f.s.token(Role.OPERATOR))) {
      Http.Response refused = f.act(id, "resume", by, Map.of("reason", "known bad unit"));
      assertThat(refused.status()).as("%s", refused).isEqualTo(403);
      assertThat(refused.json().path("reasons").path(0).path("code").asText())
          .isEqualTo("FOUR_EYES");
    }
    assertThat(f.state(id)).isEqualTo("paused");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith(
        "DEPLOYMENT_RESUME denied FOUR_EYES"));

    // Resumed by an approver who did not create it: the failure is accepted, a further one
    // pauses again.
    assertThat(f.act(id, "resume", f.s.token(Role.APPROVER),
        Map.of("reason", "known bad unit")).status()).isEqualTo(200);
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("running");
    fail("e-2", f.orderId(id, "e-2"));
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("paused");
  }

  @Test
  @DisplayName("REC-2 SRC-1 failures that came in while a user had paused the deployment are not"
      + " accepted by that user's resume: the next round pauses it by its error threshold, and"
      + " only an approver who did not create it may accept them (four-eyes)")
  void userPause_failuresMeanwhile_resumeAcceptsNothing_enginePausesForFourEyes()
      throws Exception {
    for (String d : List.of("u-1", "u-2", "u-3", "u-4")) {
      f.device(d, "mme");
    }
    String creator = f.s.token(Role.OPERATOR, Role.APPROVER);
    Http.Response created = f.create(creator, DeployFixture.body(
        List.of("u-1", "u-2", "u-3", "u-4"), "successThreshold", 50, "errorThreshold", 25));
    assertThat(created.status()).as("%s", created).isEqualTo(201);
    String id = created.json().path("id").asText();
    assertThat(f.approve(id, f.s.token(Role.APPROVER)).status()).isEqualTo(200);
    f.scheduler.advanceAll();

    // The creator pauses by hand; the engine judges nothing while paused, devices still report.
    assertThat(f.act(id, "pause", creator, Map.of("reason", "looking")).status())
        .isEqualTo(200);
    fail("u-1", f.orderId(id, "u-1"));
    for (String d : List.of("u-2", "u-3")) {
      report(d, f.orderId(id, d), "succeeded");
    }
    f.scheduler.advanceAll();
    assertThat(f.state(id)).isEqualTo("paused");

    // The creator's own resume (a user pause: an operator may) accepts nothing.
    assertThat(f.act(id, "resume", creator, Map.of("reason", "carry on")).status())
        .isEqualTo(200);
    f.scheduler.advanceAll();
    assertThat(f.state(id)).as("the failure is judged: 1 of 4 is the error threshold")
        .isEqualTo("paused");
    assertThat(f.deployment(id).path("stateReason").asText())
        .startsWith("paused by the engine").contains("error threshold of 25%");
    Http.Response refused = f.act(id, "resume", creator, Map.of("reason", "carry on"));
    assertThat(refused.status()).as("%s", refused).isEqualTo(403);
    assertThat(refused.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("FOUR_EYES");
    assertThat(f.state(id)).isEqualTo("paused");
  }

  @Test
  @DisplayName("REC-2 orders are issued only inside the maintenance window")
  void maintenanceWindow_ordersOnlyInside_validUntilItsEnd() throws Exception {
    f.device("mw-1", "mme");
    Instant noon = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS);
    f.at(noon);
    String id = f.running(DeployFixture.body(List.of("mw-1"),
        "maintenanceWindow", "22:00-02:00"));

    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("mw-1", "waiting");
    f.at(noon.plus(9, ChronoUnit.HOURS).plus(59, ChronoUnit.MINUTES)); // 21:59
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("mw-1", "waiting");

    f.at(noon.plus(11, ChronoUnit.HOURS).plus(30, ChronoUnit.MINUTES)); // 23:30
    f.scheduler.advanceAll();

    assertThat(f.targets(id)).containsEntry("mw-1", "issued");
    Instant notAfter = DeployFixture.instant(f.rows("SELECT not_after FROM"
        + " deployment_targets WHERE deployment_id = ?", id).get(0).get("not_after"));
    assertThat(notAfter).isEqualTo(noon.plus(14, ChronoUnit.HOURS)); // 02:00

    // Past the window's end the order is void: a success reported before the scheduler has
    // failed it is refused (it would count an install nobody ordered) and changes nothing.
    f.at(noon.plus(14, ChronoUnit.HOURS));
    String order = f.orderId(id, "mw-1");
    assertThatThrownBy(() -> report("mw-1", order, "succeeded"))
        .isInstanceOfSatisfying(ApiException.class,
            e -> assertThat(e.reasons().get(0).code().name()).isEqualTo("ORDER_VALIDITY"));
    assertThat(f.targets(id)).containsEntry("mw-1", "issued");
    assertThat(f.rows("SELECT name FROM device_packages WHERE device_id = 'mw-1'")).isEmpty();

    // The order has not finished: it fails, ORDER_VALIDITY.
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("mw-1", "failed ORDER_VALIDITY");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith("ORDER_EXPIRE"));
  }

  @Test
  @DisplayName("REC-2 a deployment past its expiry ends; its open orders are cancelled")
  void expiry_endsTheDeployment_andCancelsOpenTargets() throws Exception {
    f.device("x-1", "mme");
    f.device("x-2", "mme");
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    f.at(now);
    String id = f.running(DeployFixture.body(List.of("x-1", "x-2"),
        "waves", List.of("1", "1"), "expiresAt", now.plus(1, ChronoUnit.HOURS).toString()));
    f.scheduler.advanceAll();
    String order = f.orderId(id, "x-1");

    f.at(now.plus(1, ChronoUnit.HOURS));
    f.scheduler.advanceAll();

    assertThat(f.state(id)).isEqualTo("expired");
    assertThat(f.targets(id)).containsEntry("x-1", "cancelled")
        .containsEntry("x-2", "cancelled");
    assertThat(f.audit("deployment " + id)).anyMatch(a -> a.startsWith("DEPLOYMENT_EXPIRE"));
    assertThat(f.orders.pollState("x-1", "serial-x-1").orderId()).isNull();
    assertThatThrownBy(() -> report("x-1", order, "succeeded"))
        .isInstanceOfSatisfying(ApiException.class,
            e -> assertThat(e.reasons().get(0).code().name()).isEqualTo("CONFLICT"));
  }

  @Test
  @DisplayName("OBJ-1 feedback: only the device's own order, forward only, final once")
  void feedback_otherDevicesOrder_isRefusedAndChangesNothing() throws Exception {
    f.device("fb-1", "mme");
    f.device("fb-2", "mme");
    String id = f.running(DeployFixture.body(List.of("fb-1", "fb-2")));
    f.scheduler.advanceAll();
    String order1 = f.orderId(id, "fb-1");

    assertThatThrownBy(() -> report("fb-2", order1, "succeeded"))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.reasons().get(0).code().name()).isEqualTo("NOT_AUTHORIZED");
        });
    assertThat(f.targets(id)).containsEntry("fb-1", "issued");
    assertThat(f.audit("order " + order1)).containsExactly(
        "ORDER_FEEDBACK denied NOT_AUTHORIZED: order " + order1
            + " is not an order of this device");

    f.orders.feedback("fb-1", new Feedback(order1, "succeeded", 100, List.of(),
        new InstalledPackage(DeployFixture.PACKAGE, DeployFixture.VERSION, 1), "evidence"));
    assertThat(f.rows("SELECT version, security_version FROM device_packages WHERE"
        + " device_id = 'fb-1'")).hasSize(1);
    assertThatThrownBy(() -> report("fb-1", order1, "failed"))
        .isInstanceOfSatisfying(ApiException.class,
            e -> assertThat(e.reasons().get(0).code().name()).isEqualTo("CONFLICT"));
    assertThat(f.targets(id)).containsEntry("fb-1", "succeeded");

    String order2 = f.orderId(id, "fb-2");
    report("fb-2", order2, "installing");
    assertThatThrownBy(() -> report("fb-2", order2, "downloading"))
        .isInstanceOfSatisfying(ApiException.class,
            e -> assertThat(e.reasons().get(0).code().name()).isEqualTo("CONFLICT"));
    assertThat(f.targets(id)).containsEntry("fb-2", "installing");
  }

  @Test
  @DisplayName("OBJ-1 a bundle download needs a live order naming it")
  void bundle_notNamedByTheDevicesOrders_isRefused() throws Exception {
    f.device("dl-1", "mme");
    f.device("dl-2", "mme");
    assertThat(f.orders.mayDownload("dl-1", f.bundleSha256)).isFalse();
    String id = f.running(DeployFixture.body(List.of("dl-1")));
    f.scheduler.advanceAll();
    assertThat(f.orders.mayDownload("dl-1", f.bundleSha256)).isTrue();
    assertThat(f.orders.mayDownload("dl-2", f.bundleSha256)).isFalse();
    f.act(id, "cancel", f.s.token(Role.OPERATOR), Map.of());
    assertThat(f.orders.mayDownload("dl-1", f.bundleSha256)).isFalse();
  }

  @Test
  void poll_etagChangesWithTheOrdersState() throws Exception {
    f.device("p-1", "mme");
    DeviceOrders.PollState none = f.orders.pollState("p-1", "serial-p-1");
    String id = f.running(DeployFixture.body(List.of("p-1")));
    f.scheduler.advanceAll();
    DeviceOrders.PollState issued = f.orders.pollState("p-1", "serial-p-1");
    assertThat(issued.orderId()).isEqualTo(f.orderId(id, "p-1"));
    assertThat(issued.etag()).isNotEqualTo(none.etag());
    assertThat(f.orders.poll(issued).order().jws()).isNotBlank();
    report("p-1", issued.orderId(), "downloading");
    assertThat(f.orders.pollState("p-1", "serial-p-1").etag()).isNotEqualTo(issued.etag());
  }

  @Test
  @DisplayName("REC-2 schedulers racing (replicas): each wave starts once, each order once")
  void advanceAll_concurrently_startsEachWaveOnce() throws Exception {
    List<String> devices = new java.util.ArrayList<>();
    for (int i = 0; i < 6; i++) {
      devices.add("c-" + i);
      f.device("c-" + i, "mme");
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(4);
    try {
      for (int round = 0; round < 5; round++) {
        String id = f.running(DeployFixture.body(devices, "waves", List.of("3", "3"),
            "successThreshold", 50));
        java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(4);
        List<java.util.concurrent.Future<Integer>> runs = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
          runs.add(pool.submit(() -> {
            go.await();
            return f.scheduler.advanceAll();
          }));
        }
        for (java.util.concurrent.Future<Integer> r : runs) {
          r.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        Map<String, Object> before = f.rows("SELECT COUNT(DISTINCT order_id) AS orders FROM"
            + " deployment_targets WHERE deployment_id = ?", id).get(0);
        assertThat(((Number) before.get("orders")).intValue()).isEqualTo(3);
        assertThat(f.audit("deployment " + id).stream()
            .filter(a -> a.startsWith("DEPLOYMENT_WAVE_START"))).hasSize(1);
        f.cancelQuietly(id);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("REC-2 a deployment locked elsewhere (another replica) is skipped, not waited for")
  void advanceAll_skipsADeploymentLockedElsewhere() throws Exception {
    f.device("lk-1", "mme");
    String id = f.running(DeployFixture.body(List.of("lk-1")));
    try (java.sql.Connection other = f.db()) {
      TestDb.holdLocks(other, "SELECT id FROM deployments WHERE id = ? FOR UPDATE", id);
      long started = System.nanoTime();
      f.scheduler.advanceAll();
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started))
          .as("skipped at once, not after a lock timeout").isLessThan(
              java.time.Duration.ofSeconds(5));
      assertThat(f.targets(id)).containsEntry("lk-1", "waiting");
      other.rollback();
    }
    f.scheduler.advanceAll();
    assertThat(f.targets(id)).containsEntry("lk-1", "issued");
  }

  @Test
  @DisplayName("REC-1 REC-2 two failure-policy triggers for one device at once: the second"
      + " waits for the first's lock on the device, then finds its campaign open; one recovery")
  void rec2_policyTriggersAtOnce_secondWaitsForTheFirst_oneRecovery() throws Exception {
    f.deviceIn("quarantined", "race-1", "mme");
    PolicyTriggered e = new PolicyTriggered("race-1", "mme", "reinstall", DeployFixture.PACKAGE,
        DeployFixture.VERSION, "ATTESTATION_FAILED: component app: changed bin/app");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (java.sql.Connection hold = f.db()) {
      // Every audit row takes this lock: held here, the first trigger stops at its campaign's
      // audit row, inside its transaction, with the campaign inserted and not yet committed.
      TestDb.holdLocks(hold, "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
      Future<?> first = threads.submit(() -> {
        f.publish(e);
        return null;
      });
      TestDb.Blocked a = f.awaitBlocked("the first trigger at its audit row",
          b -> b.wrote() && b.statement().contains("audit_head"));
      Future<?> second = threads.submit(() -> {
        f.publish(e);
        return null;
      });
      TestDb.Blocked b = f.awaitBlocked("the second trigger",
          x -> !x.id().equals(a.id()));
      hold.commit();
      first.get(60, TimeUnit.SECONDS);
      second.get(60, TimeUnit.SECONDS);

      List<Map<String, Object>> rows = f.rows("SELECT d.id FROM deployments d JOIN"
          + " deployment_targets t ON t.deployment_id = d.id WHERE t.device_id = 'race-1'");
      assertThat(rows).as("one recovery of the device").hasSize(1);
      assertThat(b.statement()).as("the second waited for the device's row")
          .contains("FROM devices").contains("FOR UPDATE");
      assertThat(b.blockers()).as("...held by the first").containsExactly(a.id());
      assertThat(f.audit("device race-1")).singleElement().asString()
          .contains("not created: a recovery of the device is already open");
      f.cancelQuietly((String) rows.get(0).get("id"));
    } finally {
      threads.shutdownNow();
    }
  }

  /** An operator's recovery of {@code devices} (POST /api/recoveries), quarantined ones. */
  private static Http.Response recover(String... devices) {
    return f.s.http.post("/api/recoveries", f.s.token(Role.OPERATOR), Map.of("neType", "mme",
        "packageName", DeployFixture.PACKAGE, "packageVersion", DeployFixture.VERSION,
        "deviceIds", List.of(devices)));
  }

  /** The details of the operator's refused RECOVERY_CREATE audit rows. */
  private static List<String> operatorsRefusedCreates() throws Exception {
    return f.rows("SELECT detail FROM audit_log WHERE action = 'RECOVERY_CREATE' AND"
        + " outcome = 'failure' AND actor = 'u-operator'").stream()
        .map(r -> (String) r.get("detail")).toList();
  }

  /** The recovery campaigns of {@code device}: their ids. */
  private static List<String> campaigns(String device) throws Exception {
    return f.rows("SELECT d.id FROM deployments d JOIN deployment_targets t ON"
        + " t.deployment_id = d.id WHERE t.device_id = ? AND d.kind = 'recovery'", device)
        .stream().map(r -> (String) r.get("id")).toList();
  }

  /**
   * Holds the lock every audit row takes (on {@code hold}, committed by the caller): the first
   * creator then stops at its campaign's audit row, inside its transaction, with the campaign
   * inserted and not yet committed. Runs {@code first}, then {@code second} once the first waits
   * there; returns the first's and the second's waits.
   */
  private static TestDb.Blocked[] raceAtTheAuditRow(java.sql.Connection hold,
      ExecutorService threads, java.util.concurrent.Callable<?> first,
      java.util.concurrent.Callable<?> second, List<Future<?>> runs) throws Exception {
    TestDb.holdLocks(hold, "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE");
    runs.add(threads.submit(first));
    TestDb.Blocked a = f.awaitBlocked("the first creator at its audit row",
        b -> b.wrote() && b.statement().contains("audit_head"));
    runs.add(threads.submit(second));
    TestDb.Blocked b = f.awaitBlocked("the second creator", x -> !x.id().equals(a.id()));
    return new TestDb.Blocked[] {a, b};
  }

  @Test
  @DisplayName("REC-2 an operator's recovery while a failure-policy trigger creates one for the"
      + " device: the operator waits for the trigger's lock on the device, then is refused"
      + " CONFLICT (audited); one recovery")
  void rec2_manualCreateDuringPolicyTrigger_waitsThenConflict_oneRecovery() throws Exception {
    f.deviceIn("quarantined", "race-m1", "mme");
    PolicyTriggered e = new PolicyTriggered("race-m1", "mme", "reinstall",
        DeployFixture.PACKAGE, DeployFixture.VERSION, "ATTESTATION_FAILED: changed bin/app");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    List<Future<?>> runs = new java.util.ArrayList<>();
    try (java.sql.Connection hold = f.db()) {
      TestDb.Blocked[] w = raceAtTheAuditRow(hold, threads, () -> {
        f.publish(e);
        return null;
      }, () -> recover("race-m1"), runs);
      hold.commit();
      runs.get(0).get(60, TimeUnit.SECONDS);
      Http.Response refused = (Http.Response) runs.get(1).get(60, TimeUnit.SECONDS);

      List<String> campaigns = campaigns("race-m1");
      assertThat(campaigns).as("one recovery of the device").hasSize(1);
      assertThat(w[1].statement()).as("the operator waited for the device's row")
          .contains("FROM devices").contains("FOR UPDATE");
      assertThat(w[1].blockers()).as("...held by the trigger").containsExactly(w[0].id());
      assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
      assertThat(refused.json().path("reasons").path(0).path("code").asText())
          .isEqualTo("CONFLICT");
      assertThat(refused.json().path("reasons").path(0).path("message").asText())
          .contains("race-m1 (deployment " + campaigns.get(0) + ")");
      assertThat(operatorsRefusedCreates())
          .anyMatch(d -> d.startsWith("CONFLICT: already in an open recovery campaign: race-m1"));
      f.cancelQuietly(campaigns.get(0));
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @DisplayName("REC-2 two operators' recoveries of one device at once: the second waits for the"
      + " first's lock on the device, then is refused CONFLICT; one recovery")
  void rec2_manualCreatesAtOnce_secondWaitsThenConflict_oneRecovery() throws Exception {
    f.deviceIn("quarantined", "race-m2", "mme");
    f.deviceIn("quarantined", "race-m3", "mme");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    List<Future<?>> runs = new java.util.ArrayList<>();
    try (java.sql.Connection hold = f.db()) {
      // The second names its devices in the other order and one more: it still waits on the
      // first's device and is refused whole (no campaign for race-m3 either).
      TestDb.Blocked[] w = raceAtTheAuditRow(hold, threads, () -> recover("race-m2"),
          () -> recover("race-m3", "race-m2"), runs);
      hold.commit();
      Http.Response created = (Http.Response) runs.get(0).get(60, TimeUnit.SECONDS);
      Http.Response refused = (Http.Response) runs.get(1).get(60, TimeUnit.SECONDS);

      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      assertThat(campaigns("race-m2")).as("one recovery of the device")
          .containsExactly(created.json().path("id").asText());
      assertThat(campaigns("race-m3")).as("the refused one created nothing").isEmpty();
      assertThat(w[1].statement()).contains("FROM devices").contains("FOR UPDATE");
      assertThat(w[1].blockers()).containsExactly(w[0].id());
      assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
      assertThat(refused.json().path("reasons").path(0).path("code").asText())
          .isEqualTo("CONFLICT");
      assertThat(operatorsRefusedCreates())
          .anyMatch(d -> d.startsWith("CONFLICT: already in an open recovery campaign: race-m2"));
      f.cancelQuietly(created.json().path("id").asText());
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @DisplayName("REC-2 a recovery locks its devices in id order, whatever order it names them"
      + " in: two with overlapping devices never wait for each other in a cycle")
  void rec2_manualCreate_locksDevicesInIdOrder() throws Exception {
    for (String d : List.of("ord-1", "ord-2", "ord-3")) {
      f.deviceIn("quarantined", d, "mme");
    }
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try (java.sql.Connection hold = f.db(); java.sql.Connection probe = f.db()) {
      TestDb.holdLocks(hold, "SELECT id FROM devices WHERE id = 'ord-2' FOR UPDATE");
      Future<Http.Response> run = threads.submit(() -> recover("ord-3", "ord-2", "ord-1"));
      f.awaitBlocked("the recovery at ord-2", b -> b.statement().contains("FROM devices"));
      probe.setAutoCommit(false);
      List<String> free = new java.util.ArrayList<>();
      try (java.sql.PreparedStatement p = probe.prepareStatement("SELECT id FROM devices WHERE"
          + " id IN ('ord-1', 'ord-3') ORDER BY id FOR UPDATE SKIP LOCKED");
          java.sql.ResultSet rs = p.executeQuery()) {
        while (rs.next()) {
          free.add(rs.getString(1));
        }
      }
      probe.rollback();
      assertThat(free).as("ord-1 locked before ord-2, ord-3 not yet").containsExactly("ord-3");
      hold.commit();
      Http.Response r = run.get(60, TimeUnit.SECONDS);
      assertThat(r.status()).as(r.toString()).isEqualTo(201);
      f.cancelQuietly(r.json().path("id").asText());
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * Changes {@code device} on another connection ({@code change}, an UPDATE of its row, as the
   * validation entity's readmission or a disable does) and holds it uncommitted while {@code
   * create} starts and waits for the device's row; then commits and returns create's answer.
   */
  private static Http.Response createWhileChanged(String device, String change,
      java.util.concurrent.Callable<Http.Response> create) throws Exception {
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try (java.sql.Connection hold = f.db()) {
      hold.setAutoCommit(false);
      try (java.sql.PreparedStatement p = hold.prepareStatement(change)) {
        p.setString(1, device);
        assertThat(p.executeUpdate()).isEqualTo(1);
      }
      Future<Http.Response> run = threads.submit(create);
      TestDb.Blocked b = f.awaitBlocked("the recovery at " + device,
          x -> x.statement().contains("FROM devices") && x.statement().contains("FOR UPDATE"));
      assertThat(b.wrote()).as("waiting before it wrote anything").isFalse();
      hold.commit();
      return run.get(60, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  @DisplayName("REC-2 a named device readmitted while the recovery waits for its row: the"
      + " criteria are read again under the lock, the request is refused (audited), no campaign")
  void rec2_namedDeviceReadmittedWhileCreateWaits_isRefusedNoCampaign() throws Exception {
    f.deviceIn("quarantined", "rr-1", "mme");
    f.deviceIn("quarantined", "rr-2", "mme");

    Http.Response r = createWhileChanged("rr-1",
        "UPDATE devices SET trust_state = 'trusted' WHERE id = ?", () -> recover("rr-2", "rr-1"));

    assertThat(r.status()).as(r.toString()).isEqualTo(400);
    assertThat(r.json().path("reasons").path(0).path("message").asText())
        .contains("not enabled devices of NE type mme in trust states [quarantined]: rr-1");
    assertThat(campaigns("rr-1")).as("no campaign for the readmitted device").isEmpty();
    assertThat(campaigns("rr-2")).as("nor for the other: refused whole").isEmpty();
    assertThat(operatorsRefusedCreates())
        .anyMatch(d -> d.contains("not enabled devices") && d.endsWith(": rr-1"));
  }

  @Test
  @DisplayName("REC-2 a device the filter chose, disabled while the recovery waits for its row:"
      + " left out under the lock, the campaign targets the others only")
  void rec2_filteredDeviceDisabledWhileCreateWaits_isLeftOut() throws Exception {
    // The only devices in state unknown in this fixture: the filter picks exactly these two.
    f.deviceIn("unknown", "rd-1", "mme");
    f.deviceIn("unknown", "rd-2", "mme");

    Http.Response r = createWhileChanged("rd-1", "UPDATE devices SET disabled_at ="
        + " CURRENT_TIMESTAMP, disabled_by = 'test', trust_state = 'disabled' WHERE id = ?",
        () -> f.s.http.post("/api/recoveries", f.s.token(Role.OPERATOR), Map.of("neType", "mme",
            "packageName", DeployFixture.PACKAGE, "packageVersion", DeployFixture.VERSION,
            "trustStates", List.of("unknown"))));

    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    String id = r.json().path("id").asText();
    assertThat(campaigns("rd-1")).as("the disabled device is not targeted").isEmpty();
    assertThat(campaigns("rd-2")).containsExactly(id);
    assertThat(f.targets(id)).containsOnlyKeys("rd-2");
    f.cancelQuietly(id);
  }
}
