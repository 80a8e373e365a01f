package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Http;
import org.neguard.server.TestServer.Role;

/**
 * Creating and approving deployments through the users' API of a real server: four-eyes, the
 * states approval is refused in, rollback acknowledgement, target resolution, and an approve
 * racing a cancel. Each refusal: its reason code, an audit row, and nothing changed.
 */
abstract class DeploymentApprovalCases {
  static DeployFixture f;
  static String operator;
  static String approver;

  /** The shared fixture and its devices; on the embedded database when {@code database} is null. */
  static void startOn(String database) throws Exception {
    f = new DeployFixture(database);
    operator = f.s.token(Role.OPERATOR);
    approver = f.s.token(Role.APPROVER);
    for (String d : List.of("a-1", "a-2", "a-3", "a-4", "a-5")) {
      f.device(d, "mme", "approval-test");
    }
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

  private static long approvals(String id) throws Exception {
    return f.count("SELECT COUNT(*) FROM deployment_approvals WHERE deployment_id = ?", id);
  }

  @Test
  @DisplayName("SRC-1 four-eyes: the creator may not approve, even holding approver")
  void approve_byCreator_isRefusedWithFourEyes() throws Exception {
    String both = f.s.token(Role.OPERATOR, Role.APPROVER);
    Http.Response c = f.create(both, DeployFixture.body(List.of("a-1")));
    assertThat(c.status()).as(c.toString()).isEqualTo(201);
    String id = c.json().path("id").asText();

    Http.Response r = f.approve(id, both);

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.code()).isEqualTo("FOUR_EYES");
    assertThat(approvals(id)).isZero();
    assertThat(f.state(id)).isEqualTo("pending_approval");
    assertThat(f.audit("deployment " + id))
        .anyMatch(a -> a.startsWith("DEPLOYMENT_APPROVE denied FOUR_EYES"));
    // The creator may not reject either (that would be a one-person decision too).
    Http.Response reject = f.act(id, "reject", both, Map.of("reason", "mine"));
    assertThat(reject.code()).isEqualTo("FOUR_EYES");
    assertThat(f.state(id)).isEqualTo("pending_approval");
  }

  @Test
  @DisplayName("SRC-1 approving needs the approver role")
  void approve_withoutApproverRole_isRefusedAndCountsNothing() throws Exception {
    String id = f.created(DeployFixture.body(List.of("a-1")));
    for (Role role : List.of(Role.OPERATOR, Role.ADMIN, Role.AUDITOR, Role.PUBLISHER)) {
      Http.Response r = f.approve(id, f.s.token(role));
      assertThat(r.status()).as(role + ": " + r).isEqualTo(403);
      assertThat(r.code()).isEqualTo("NOT_AUTHORIZED");
    }
    assertThat(approvals(id)).isZero();
    assertThat(f.state(id)).isEqualTo("pending_approval");
    assertThat(f.count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'denied' AND target ="
        + " ?", "POST /api/deployments/" + id + "/approve")).isEqualTo(4);
  }

  @Test
  @DisplayName("SRC-1 the same approver twice counts once")
  void approve_sameApproverTwice_isCountedOnce() throws Exception {
    String id = f.created(DeployFixture.body(List.of("a-1"), "requiredApprovals", 2));
    assertThat(f.approve(id, approver).status()).isEqualTo(200);

    Http.Response again = f.approve(id, approver);

    assertThat(again.status()).isEqualTo(409);
    assertThat(again.code()).isEqualTo("CONFLICT");
    assertThat(approvals(id)).isEqualTo(1);
    assertThat(f.state(id)).isEqualTo("pending_approval");
    assertThat(f.audit("deployment " + id))
        .anyMatch(a -> a.startsWith("DEPLOYMENT_APPROVE failure CONFLICT"));
    Http.Response second = f.approve(id, f.s.token(Role.APPROVER, Role.AUDITOR));
    assertThat(second.json().path("state").asText()).isEqualTo("running");
    assertThat(second.json().path("approvals")).hasSize(2);
  }

  @Test
  void create_requiredApprovals_isAtLeastTheServerMinimum() {
    Http.Response r = f.create(operator, DeployFixture.body(List.of("a-1"),
        "requiredApprovals", 0));
    assertThat(r.json().path("requiredApprovals").asInt()).isEqualTo(1);
  }

  @Test
  @DisplayName("REC-2 no approval of a cancelled, rejected or expired deployment")
  void approve_cancelledRejectedOrExpired_isRefusedWithDeploymentState() throws Exception {
    String cancelled = f.created(DeployFixture.body(List.of("a-1")));
    assertThat(f.act(cancelled, "cancel", operator, Map.of("reason", "wrong")).status())
        .isEqualTo(200);
    String rejected = f.created(DeployFixture.body(List.of("a-1")));
    assertThat(f.act(rejected, "reject", approver, Map.of("reason", "no")).status())
        .isEqualTo(200);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    f.at(now);
    String expired = f.created(DeployFixture.body(List.of("a-1"),
        "expiresAt", now.plusSeconds(60).toString()));
    f.at(now.plusSeconds(61));

    for (String id : List.of(cancelled, rejected, expired)) {
      Http.Response r = f.approve(id, approver);
      assertThat(r.status()).as(r.toString()).isEqualTo(409);
      assertThat(r.code()).isEqualTo("DEPLOYMENT_STATE");
      assertThat(approvals(id)).isZero();
      assertThat(f.audit("deployment " + id))
          .anyMatch(a -> a.startsWith("DEPLOYMENT_APPROVE failure DEPLOYMENT_STATE"));
    }
    assertThat(f.state(cancelled)).isEqualTo("cancelled");
    assertThat(f.state(rejected)).isEqualTo("rejected");
    // Found expired by the approval itself, before any scheduler round: kept, and audited.
    assertThat(f.state(expired)).isEqualTo("expired");
    assertThat(f.audit("deployment " + expired)).anyMatch(a -> a.startsWith("DEPLOYMENT_EXPIRE"));
  }

  @Test
  @DisplayName("REC-2 pause, resume and cancel only from the states they leave")
  void pauseResumeCancel_inTheWrongState_areRefusedWithDeploymentState() throws Exception {
    String id = f.created(DeployFixture.body(List.of("a-1")));
    Map<String, String> refused = Map.of("pause", "pending_approval", "resume",
        "pending_approval");
    for (Map.Entry<String, String> e : refused.entrySet()) {
      Http.Response r = f.act(id, e.getKey(), operator, Map.of());
      assertThat(r.status()).as(e.getKey()).isEqualTo(409);
      assertThat(r.code()).isEqualTo("DEPLOYMENT_STATE");
      assertThat(f.state(id)).isEqualTo(e.getValue());
    }
    assertThat(f.act(id, "cancel", operator, Map.of()).status()).isEqualTo(200);
    Http.Response again = f.act(id, "cancel", operator, Map.of());
    assertThat(again.code()).isEqualTo("DEPLOYMENT_STATE");
    assertThat(f.audit("deployment " + id)).filteredOn(a -> a.contains("DEPLOYMENT_STATE"))
        .hasSize(3);
    assertThat(f.state(id)).isEqualTo("cancelled");
  }

  @Test
  void reject_withoutReason_isRefused() throws Exception {
    String id = f.created(DeployFixture.body(List.of("a-1")));
    Http.Response r = f.act(id, "reject", approver, Map.of());
    assertThat(r.status()).isEqualTo(400);
    assertThat(f.state(id)).isEqualTo("pending_approval");
    assertThat(f.audit("deployment " + id))
        .anyMatch(a -> a.startsWith("DEPLOYMENT_REJECT failure BAD_INPUT"));
  }

  @Test
  @DisplayName("REC-2 a rollback needs each approver's acknowledgement")
  void approve_rollbackWithoutAcknowledgement_isRefused() throws Exception {
    String id = f.created(DeployFixture.body(List.of("a-1"), "rollback", true));
    Http.Response r = f.approve(id, approver);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.code()).isEqualTo("ROLLBACK_REFUSED");
    assertThat(approvals(id)).isZero();
    assertThat(f.audit("deployment " + id))
        .anyMatch(a -> a.startsWith("DEPLOYMENT_APPROVE failure ROLLBACK_REFUSED"));
    Http.Response ok = f.act(id, "approve", approver, Map.of("acknowledgeRollback", true));
    assertThat(ok.json().path("state").asText()).isEqualTo("running");
    assertThat(ok.json().path("approvals").path(0).path("rollbackAcknowledged").asBoolean())
        .isTrue();
  }

  @Test
  @DisplayName("SRC-2 a deployment of a package that is not in the verified store")
  void create_packageNotStored_isRefused404AndNothingStored() throws Exception {
    long before = f.count("SELECT COUNT(*) FROM deployments");
    Map<String, Object> body = DeployFixture.body(List.of("a-1"));
    body.put("packageVersion", "9.9.9");

    Http.Response r = f.create(operator, body);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().path("reasons").path(0).path("message").asText())
        .contains("app 9.9.9");
    assertThat(f.count("SELECT COUNT(*) FROM deployments")).isEqualTo(before);
    assertThat(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'DEPLOYMENT_CREATE'"
        + " AND outcome = 'failure' AND detail LIKE '%app 9.9.9%'")).isEqualTo(1);
  }

  @Test
  void create_badRequests_areRefused400NamingTheProblem() throws Exception {
    long before = f.count("SELECT COUNT(*) FROM deployments");
    Map<String, String> cases = Map.of(
        "no such devices: nope-1, nope-2",
        "{\"devices\":[\"a-1\",\"nope-2\",\"nope-1\"]}",
        "no target", "{\"labels\":[\"no-such-label\"]}",
        "errorThreshold must be 1 to 100", "{\"devices\":[\"a-1\"],\"errorThreshold\":0}",
        "successThreshold must be 1 to 100", "{\"devices\":[\"a-1\"],\"successThreshold\":101}",
        "no such time: '25:00-02:00'",
        "{\"devices\":[\"a-1\"],\"maintenanceWindow\":\"25:00-02:00\"}",
        "HH:MM-HH:MM", "{\"devices\":[\"a-1\"],\"maintenanceWindow\":\"22:00\"}",
        "not in the future",
        "{\"devices\":[\"a-1\"],\"expiresAt\":\"2020-01-01T00:00:00Z\"}",
        "wave '0%'", "{\"devices\":[\"a-1\"],\"waves\":[\"0%\"]}",
        "empty entries", "{\"devices\":[\"a-1\",null]}");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      String json = "{\"packageName\":\"app\",\"packageVersion\":\"1.0.0\","
          + c.getValue().substring(1);
      Http.Response r = f.s.http.send("POST", "/api/deployments", operator, json);
      assertThat(r.status()).as(json + " -> " + r).isEqualTo(400);
      assertThat(r.body()).as(json).contains(c.getKey());
    }
    assertThat(f.count("SELECT COUNT(*) FROM deployments")).isEqualTo(before);
  }

  @Test
  void create_resolvesLabelsIntoWaves_inDeviceIdOrder() throws Exception {
    // 1 device, 40% of 5 (2), and the last wave takes the rest (2, whatever it asked for).
    Http.Response r = f.create(operator, DeployFixture.body(null, "labels",
        List.of("approval-test"), "waves", List.of("1", "40%", "1")));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    assertThat(r.json().path("targetCount").asInt()).isEqualTo(5);
    assertThat(r.json().path("waves").findValuesAsText("size")).containsExactly("1", "2", "2");
    String id = r.json().path("id").asText();
    assertThat(f.rows("SELECT device_id, wave FROM deployment_targets WHERE deployment_id = ?"
        + " ORDER BY device_id", id).stream().map(m -> m.get("device_id") + "@" + m.get("wave")))
        .containsExactly("a-1@1", "a-2@2", "a-3@2", "a-4@3", "a-5@3");
  }

  @Test
  @DisplayName("SRC-1 an approve racing a cancel: one order of events, no approval after cancel")
  void approveAndCancel_concurrently_serializeOnTheRowLock() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 25; round++) {
        String id = f.created(DeployFixture.body(List.of("a-1")));
        CyclicBarrier start = new CyclicBarrier(2);
        Future<Http.Response> approve = pool.submit(() -> {
          start.await();
          return f.approve(id, approver);
        });
        Future<Http.Response> cancel = pool.submit(() -> {
          start.await();
          return f.act(id, "cancel", operator, Map.of("reason", "race"));
        });
        Http.Response a = approve.get(60, TimeUnit.SECONDS);
        Http.Response c = cancel.get(60, TimeUnit.SECONDS);

        assertThat(c.status()).as("cancel " + c).isEqualTo(200);
        assertThat(f.state(id)).isEqualTo("cancelled");
        List<String> log = new ArrayList<>(f.audit("deployment " + id));
        log.removeIf(l -> l.startsWith("DEPLOYMENT_CREATE"));
        if (a.status() == 200) {
          // The approval came first: it started the deployment, then the cancel ended it.
          assertThat(approvals(id)).isEqualTo(1);
          assertThat(log).hasSize(2);
          assertThat(log.get(0)).startsWith("DEPLOYMENT_APPROVE success");
          assertThat(log.get(1)).startsWith("DEPLOYMENT_CANCEL success");
        } else {
          // The cancel came first: the approval was refused and left no row.
          assertThat(a.code()).isEqualTo("DEPLOYMENT_STATE");
          assertThat(approvals(id)).isZero();
          assertThat(log).hasSize(2);
          assertThat(log.get(0)).startsWith("DEPLOYMENT_CANCEL success");
          assertThat(log.get(1)).startsWith("DEPLOYMENT_APPROVE failure DEPLOYMENT_STATE");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
