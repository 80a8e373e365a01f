package org.neguard.cli.evidence;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.agent.client.DeviceClient;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.deploy.CreateDeploymentRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.api.problem.ProblemReason;
import org.neguard.cli.support.AgentsPortProbe;
import org.neguard.cli.support.ServerClient;
import org.neguard.cli.support.ServerProblemException;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;
import org.neguard.verdict.RefusalException;

/**
 * The deployment part of the SRC-1/SRC-3 evidence: the agents' API admits devices only
 * (TC-SRC1-06), four-eyes on approval (TC-SRC1-07..11) and an audit row of its own for each refusal
 * (TC-SRC3-04). The probe device is enrolled with a real key and CSR but never polls; the probe
 * deployment needs two approvals, gets at most one, and is cancelled, so no order is ever issued.
 * Not thread-safe.
 */
final class DeployEvidence {
  static final String PENDING = "pending_approval";

  /** An audit row a refusal must have left: its detail starts with {@code code}. */
  record Expected(String refusal, String actor, String action, String target, String outcome,
      String code) {
    boolean matches(AuditRecord r) {
      return actor.equals(r.actor()) && action.equals(r.action()) && target.equals(r.target())
          && outcome.equals(r.outcome()) && r.detail() != null && r.detail().startsWith(code);
    }
  }

  /** One raw answer: status and the first reason's code ("" when none). */
  private record Answer(int status, String code) {
    @Override
    public String toString() {
      return status + (code.isEmpty() ? "" : " " + code);
    }
  }

  private final ServerClient admin;
  private final Map<String, String> tokens;
  private final Map<String, String> users;
  private final List<TestCase> cases;
  private final List<Expected> refusals = new ArrayList<>();
  private final String deviceId;
  private PackageInfo pkg;
  private EnrollmentToken enrollment;
  private String notApplicable;
  /** NOT_TESTED when there is nothing to deploy; ERROR when the probe itself broke. */
  private Outcome skipped = Outcome.NOT_TESTED;
  private boolean enrolled;
  private String deploymentId;

  /**
   * @param tokens bearer tokens by role, and of the {@code deployer} (operator and approver)
   *     and the {@code second-approver} probe users
   * @param users the probe users' names, keyed like {@code tokens}
   */
  DeployEvidence(ServerClient admin, Map<String, String> tokens, Map<String, String> users,
      List<TestCase> cases, String tag) {
    this.admin = admin;
    this.tokens = tokens;
    this.users = users;
    this.cases = cases;
    this.deviceId = "evidence-probe-" + tag;
  }

  /**
   * Chooses the package of the four-eyes cases (the first stored one with an NE type) and
   * creates the probe device's enrollment token, whose answer names the agents' port.
   */
  void prepare() throws IOException, RefusalException {
    for (PackageInfo p : admin.packages()) {
      if (pkg == null && p.neType() != null && !p.neType().isBlank()) {
        pkg = p;
      }
    }
    if (pkg == null) {
      notApplicable = "no package with an NE type is stored on the server: a deployment needs"
          + " one (upload a signed package and run again)";
    }
    try {
      enrollment = admin.createEnrollmentToken(new EnrollmentTokenRequest(deviceId,
          pkg == null ? "evidence-probe" : pkg.neType(), List.of("evidence-probe"), 10));
    } catch (RefusalException e) {
      broke("the admin could not create an enrollment token: " + AuthzEvidence.first(e));
    } catch (ServerProblemException e) {
      broke("the admin could not create an enrollment token: " + AuthzEvidence.first(e));
    }
  }

  /** The probe broke: the cases that need it are reported as ERROR, never passed. */
  private void broke(String why) {
    notApplicable = why;
    skipped = Outcome.ERROR;
  }

  /**
   * TC-SRC1-06: each device endpoint, on the agents' port, without a client certificate and
   * with each probe user's bearer token: 401. Adds a matrix row per endpoint.
   */
  void agentsPort(List<Endpoint> endpoints, List<Map<String, Object>> matrix)
      throws IOException, RefusalException {
    List<Endpoint> device = endpoints.stream().filter(e -> "device".equals(e.access())).toList();
    String url = enrollment == null ? null : enrollment.deviceUrl();
    String title = "The agents' API admits enrolled devices only";
    String purpose = "Show that a user's credential, or none, cannot reach the agents' API that"
        + " hands out orders and bundles: only a device certificate (mutual TLS) can.";
    String procedure = "On the agents' port named by an enrollment token (" + url + "), call each"
        + " of the " + device.size() + " device endpoints without a client certificate: with no"
        + " credential, and with the bearer token of a probe user of each role.";
    String expected = "HTTP 401 NOT_AUTHENTICATED for every call.";
    if (device.isEmpty() || url == null || url.isBlank()) {
      // A server without an agents' API has nothing to test here; one with it must name it.
      cases.add(new TestCase("TC-SRC1-06", List.of("SRC-1"), title,
          device.isEmpty() ? Outcome.NOT_TESTED : Outcome.ERROR, null, purpose,
          List.of(procedure), expected, device.isEmpty()
              ? "the server lists no device endpoint: it has no agents' API"
              : enrollment == null ? notApplicable
              : "the enrollment token names no agents' URL", List.of()));
      return;
    }
    AgentsPortProbe probe = AgentsPortProbe.of(url,
        DeviceIdentity.certificate(enrollment.caCertificate()));
    List<String> mismatches = new ArrayList<>();
    for (Endpoint e : device) {
      String path = e.path().replaceAll("\\{[^}]+}", "evidence-probe-nothing");
      Map<String, Object> results = new LinkedHashMap<>();
      results.put("none", agentsProbe(probe, e.method(), path, null));
      for (String role : AuthzEvidence.ROLES) {
        results.put(role, agentsProbe(probe, e.method(), path, tokens.get(role)));
      }
      boolean ok = true;
      for (Map.Entry<String, Object> r : results.entrySet()) {
        if (!r.getValue().equals(401)) {
          mismatches.add(e.method() + " " + e.path() + " as " + r.getKey() + " -> "
              + r.getValue());
          ok = false;
        }
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("method", e.method());
      row.put("path", e.path());
      row.put("declared", "device (agents' port, no client certificate)");
      row.put("port", "agents");
      row.put("results", results);
      row.put("matches", ok);
      matrix.add(row);
    }
    cases.add(TestCase.of("TC-SRC1-06", "SRC-1", title, purpose, procedure, expected,
        mismatches.isEmpty() ? device.size() * (AuthzEvidence.ROLES.size() + 1)
            + " calls, all refused with 401" : "not refused with 401: " + mismatches,
        mismatches.isEmpty()));
  }

  private static int agentsProbe(AgentsPortProbe probe, String method, String path,
      String token) throws IOException {
    boolean body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    return probe.status(method, path, token, body ? AuthzEvidence.PROBE_BODY : null);
  }

  /** TC-SRC1-07..11: four-eyes and the approval's state rules, on a probe deployment. */
  void fourEyes() throws IOException, RefusalException {
    if (notApplicable == null) {
      try {
        DeviceClient.enrolling(URI.create(enrollment.deviceUrl()),
                DeviceClient.Trust.ca(enrollment.caCertificate()))
            .enroll(enrollment.token(), deviceId, pkg.neType(), List.of(), List.of());
        enrolled = true;
      } catch (DeviceApiException e) {
        broke("the probe device " + deviceId + " could not enroll: " + e.getMessage());
      }
    }
    ServerClient deployer = admin.withToken(tokens.get("deployer"));
    if (notApplicable == null) {
      String what = "the deployer probe user could not create a deployment of " + pkg.name()
          + " " + pkg.version() + " to " + deviceId + ": ";
      try {
        deploymentId = deployer.createDeployment(new CreateDeploymentRequest(pkg.name(),
            pkg.version(), List.of(deviceId), null, null, null, null, null, null, null, false,
            2)).id();
      } catch (RefusalException e) {
        broke(what + AuthzEvidence.first(e));
      } catch (ServerProblemException e) {
        broke(what + AuthzEvidence.first(e));
      }
    }
    if (notApplicable != null) {
      for (String[] c : FOUR_EYES_CASES) {
        cases.add(new TestCase(c[0], List.of("SRC-1"), c[1], skipped, null,
            c[2], List.of(c[3]), c[4], notRun(), List.of()));
      }
      return;
    }
    String target = "deployment " + deploymentId;
    String approvePath = "/api/deployments/" + ServerClient.encode(deploymentId) + "/approve";

    Answer creator = approve("deployer");
    Deployment after = admin.deployment(deploymentId);
    record("TC-SRC1-07", FOUR_EYES_CASES.get(0), creator, after,
        creator.status() == 403 && creator.code().equals("FOUR_EYES")
            && PENDING.equals(after.state()) && after.approvals().isEmpty());
    refusals.add(new Expected("creator's approval", users.get("deployer"), "DEPLOYMENT_APPROVE",
        target, "denied", "FOUR_EYES"));

    Answer second = approve("approver");
    after = admin.deployment(deploymentId);
    record("TC-SRC1-08", FOUR_EYES_CASES.get(1), second, after, second.status() == 200
        && after.approvals().size() == 1 && PENDING.equals(after.state()));

    Answer again = approve("approver");
    after = admin.deployment(deploymentId);
    record("TC-SRC1-09", FOUR_EYES_CASES.get(2), again, after, again.status() == 409
        && again.code().equals("CONFLICT") && after.approvals().size() == 1);
    refusals.add(new Expected("second approval by the same approver", users.get("approver"),
        "DEPLOYMENT_APPROVE", target, "failure", "CONFLICT"));

    Answer operator = approve("operator");
    after = admin.deployment(deploymentId);
    record("TC-SRC1-10", FOUR_EYES_CASES.get(3), operator, after, operator.status() == 403
        && operator.code().equals("NOT_AUTHORIZED") && after.approvals().size() == 1);
    refusals.add(new Expected("approval without the approver role", users.get("operator"),
        "ACCESS", "POST " + approvePath, "denied", "NOT_AUTHORIZED"));

    deployer.changeDeployment(deploymentId, ServerClient.DeploymentAction.CANCEL,
        new ReasonRequest("evidence probe: never to run"));
    Answer late = approve("second-approver");
    after = admin.deployment(deploymentId);
    record("TC-SRC1-11", FOUR_EYES_CASES.get(4), late, after, late.status() == 409
        && late.code().equals("DEPLOYMENT_STATE") && "cancelled".equals(after.state())
        && after.approvals().size() == 1);
    refusals.add(new Expected("approval after cancel", users.get("second-approver"),
        "DEPLOYMENT_APPROVE", target, "failure", "DEPLOYMENT_STATE"));
  }

  /** Id, title, purpose, procedure, expected of TC-SRC1-07..11. */
  private static final List<String[]> FOUR_EYES_CASES = List.of(
      new String[] {"TC-SRC1-07", "The creator of a deployment cannot approve it (four-eyes)",
          "Show that no single person can both initiate and authorize a deployment.",
          "A probe user holding operator AND approver creates a deployment of a stored package"
              + " to a probe device (2 approvals required), then approves it.",
          "HTTP 403 FOUR_EYES; the deployment stays pending_approval with no approval."},
      new String[] {"TC-SRC1-08", "Another approver's approval is admitted",
          "Show that the four-eyes rule admits a second person holding the approver role.",
          "The approver probe user approves the same deployment.",
          "HTTP 200; one approval recorded; still pending_approval (2 required)."},
      new String[] {"TC-SRC1-09", "An approver's approval counts once",
          "Show that one person cannot make up the required approvals alone.",
          "The approver probe user approves the same deployment again.",
          "HTTP 409 CONFLICT; still one approval."},
      new String[] {"TC-SRC1-10", "Only approvers can approve",
          "Show that a user without the approver role cannot authorize a deployment.",
          "The operator probe user (operator only) approves the same deployment.",
          "HTTP 403 NOT_AUTHORIZED; still one approval."},
      new String[] {"TC-SRC1-11", "A cancelled deployment cannot be approved",
          "Show that an approval cannot revive a deployment that was stopped.",
          "The creator cancels the deployment; a second approver probe user then approves it.",
          "HTTP 409 DEPLOYMENT_STATE; the deployment stays cancelled with one approval."});

  private void record(String id, String[] c, Answer answer, Deployment after, boolean pass) {
    cases.add(TestCase.of(id, "SRC-1", c[1], c[2], c[3], c[4], answer + "; deployment "
        + deploymentId + " then " + after.state() + " with " + after.approvals().size()
        + " approval(s) of " + after.requiredApprovals() + " required", pass));
  }

  private String notRun() {
    return (skipped == Outcome.NOT_TESTED ? "not applicable: " : "not run: ") + notApplicable;
  }

  /** Approves the probe deployment as the probe user {@code who}: the raw answer. */
  private Answer approve(String who) throws IOException, RefusalException {
    HttpResponse<String> r = admin.probe("POST", "/api/deployments/"
        + ServerClient.encode(deploymentId) + "/approve", "{\"comment\":\"evidence probe\"}",
        tokens.get(who));
    if (r.statusCode() / 100 == 2) {
      return new Answer(r.statusCode(), "");
    }
    List<ProblemReason> reasons = ServerClient.problem(r.statusCode(), r.body()).reasons();
    return new Answer(r.statusCode(), reasons.isEmpty() ? "" : reasons.get(0).code());
  }

  /**
   * TC-SRC3-04: each refusal of TC-SRC1-07..11 found as its own audit row among {@code rows}
   * (actor, action, target, outcome and reason code); one row counts for one refusal.
   */
  void refusalsAudited(List<AuditRecord> rows) {
    String title = "Every refused approval is recorded";
    String purpose = "Show that refused attempts to authorize a deployment leave a trace.";
    String procedure = "Find each refusal of TC-SRC1-07, 09, 10 and 11 as an audit row the log"
        + " gained during the probes: same user, action, deployment and reason code.";
    String expected = "A row for each: DEPLOYMENT_APPROVE denied FOUR_EYES, DEPLOYMENT_APPROVE"
        + " failure CONFLICT, ACCESS denied NOT_AUTHORIZED, DEPLOYMENT_APPROVE failure"
        + " DEPLOYMENT_STATE.";
    if (notApplicable != null) {
      cases.add(new TestCase("TC-SRC3-04", List.of("SRC-3"), title, skipped, null,
          purpose, List.of(procedure), expected, notRun(), List.of()));
      return;
    }
    List<AuditRecord> left = new ArrayList<>(rows);
    List<String> missing = new ArrayList<>();
    for (Expected e : refusals) {
      AuditRecord found = left.stream().filter(e::matches).findFirst().orElse(null);
      if (found == null) {
        missing.add(e.refusal());
      } else {
        left.remove(found);
      }
    }
    cases.add(TestCase.of("TC-SRC3-04", "SRC-3", title, purpose, procedure, expected,
        missing.isEmpty() ? refusals.size() + " refusals, each found as its own row"
            : "no audit row for: " + missing, missing.isEmpty()));
  }

  /** Cancels the probe deployment if it still runs and disables the probe device; best effort. */
  void cleanUp() {
    if (deploymentId != null) {
      try {
        Deployment d = admin.deployment(deploymentId);
        if (PENDING.equals(d.state()) || "running".equals(d.state())
            || "paused".equals(d.state())) {
          admin.withToken(tokens.get("deployer")).changeDeployment(deploymentId,
              ServerClient.DeploymentAction.CANCEL, new ReasonRequest("evidence probe"));
        }
      } catch (IOException | RefusalException | ServerProblemException e) {
        // the deployment needs two approvals and got at most one: it never runs
      }
    }
    if (enrolled) {
      try {
        admin.disableDevice(deviceId, new ReasonRequest("evidence probe device"));
      } catch (IOException | RefusalException | ServerProblemException e) {
        // it never polls, and its deployment is cancelled
      }
    }
  }
}
