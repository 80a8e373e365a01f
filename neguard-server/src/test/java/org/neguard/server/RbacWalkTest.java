package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.TestServer.Role;

/**
 * The RBAC walk (SRC-1): every endpoint the server has, with every role alone and with no
 * credential. No credential is 401, a role the endpoint does not admit is 403, an admitted role
 * gets past authorization; the probes change nothing (users, tokens, packages, stored files) and
 * each refusal is in the audit log. The expected matrix is written out here, so changing who may
 * call an endpoint, or adding one, fails this test until the matrix is reviewed.
 */
@DisplayName("SRC-1 RBAC walk")
public class RbacWalkTest {
  static TestServer s;

  static final Set<Role> ALL = EnumSet.allOf(Role.class);
  static final Set<Role> READERS = EnumSet.of(Role.ADMIN, Role.AUDITOR);
  /** Device endpoints: an enrolled device over mutual TLS on the agents' port, no user. */
  static final Set<Role> DEVICE = EnumSet.noneOf(Role.class);
  /** null = anonymous access. */
  static final Map<String, Set<Role>> EXPECTED = new TreeMap<>();

  static {
    EXPECTED.put("POST /api/auth/login", null);
    EXPECTED.put("GET /api/auth/whoami", ALL);
    EXPECTED.put("PUT /api/auth/password", ALL);
    EXPECTED.put("GET /api/users", READERS);
    EXPECTED.put("POST /api/users", EnumSet.of(Role.ADMIN));
    EXPECTED.put("PUT /api/users/{username}/roles", EnumSet.of(Role.ADMIN));
    EXPECTED.put("POST /api/users/{username}/disable", EnumSet.of(Role.ADMIN));
    EXPECTED.put("POST /api/users/{username}/enable", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /api/tokens", ALL);
    EXPECTED.put("POST /api/tokens", ALL);
    EXPECTED.put("DELETE /api/tokens/{id}", ALL);
    EXPECTED.put("GET /api/endpoints", READERS);
    EXPECTED.put("POST /api/packages", EnumSet.of(Role.PUBLISHER));
    EXPECTED.put("GET /api/packages", ALL);
    EXPECTED.put("GET /api/packages/{name}/{version}", ALL);
    EXPECTED.put("GET /api/packages/{name}/{version}/bundle", ALL);
    // The publication gate's held packages (issue 16): everyone reads them; approvers add the
    // VEX statements that re-judge them.
    EXPECTED.put("GET /api/packages/held", ALL);
    EXPECTED.put("POST /api/packages/{name}/{version}/vex", EnumSet.of(Role.APPROVER));
    EXPECTED.put("GET /api/trust", ALL);
    EXPECTED.put("GET /api/audit", READERS);
    EXPECTED.put("GET /api/audit/verify", READERS);
    EXPECTED.put("GET /api/audit/export", READERS);
    Set<Role> fleetReaders = EnumSet.of(Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR);
    EXPECTED.put("POST /api/devices/enrollment-tokens", EnumSet.of(Role.ADMIN, Role.OPERATOR));
    EXPECTED.put("GET /api/devices", fleetReaders);
    EXPECTED.put("GET /api/devices/{id}", fleetReaders);
    EXPECTED.put("POST /api/devices/{id}/disable", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /api/devices/ca", ALL);
    EXPECTED.put("GET /api/deployments/order-keys", ALL);
    EXPECTED.put("POST /api/deployments/order-keys/rotate", EnumSet.of(Role.ADMIN));
    // The agents' API: on the users' port every one of them is 404 (agentsApi_onUsersPort_...).
    EXPECTED.put("POST /api/device/v1/enroll", null);
    EXPECTED.put("POST /api/device/v1/certificate", DEVICE);
    EXPECTED.put("GET /api/device/v1/order-keys", DEVICE);
    EXPECTED.put("GET /api/device/v1/poll", DEVICE);
    EXPECTED.put("GET /api/device/v1/bundles/{sha256}", DEVICE);
    EXPECTED.put("POST /api/device/v1/feedback", DEVICE);
    EXPECTED.put("POST /api/device/v1/inventory", DEVICE);
    EXPECTED.put("POST /api/device/v1/packages", DEVICE);
    EXPECTED.put("POST /api/device/v1/evidence", DEVICE);
    // The TPM trust base (issue 15): a device binds its own TPM's attestation key; an operator
    // releases a binding so that it may bind another.
    EXPECTED.put("POST /api/device/v1/tpm/credential", DEVICE);
    EXPECTED.put("POST /api/device/v1/tpm/activate", DEVICE);
    EXPECTED.put("DELETE /api/devices/{id}/tpm-binding", EnumSet.of(Role.ADMIN, Role.OPERATOR));
    // Port drift: hardening policies uploaded by admins; policies and findings read by the
    // fleet's readers.
    EXPECTED.put("POST /api/policies/{neType}", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /api/policies", fleetReaders);
    EXPECTED.put("GET /api/policies/{neType}", fleetReaders);
    EXPECTED.put("GET /api/drift", fleetReaders);
    EXPECTED.put("GET /api/devices/{id}/drift", fleetReaders);
    // Vulnerabilities of what the NEs run (issue 16): read by every role.
    EXPECTED.put("GET /api/vulnerabilities", fleetReaders);
    EXPECTED.put("GET /api/devices/{id}/vulnerabilities", fleetReaders);
    // The packages an NE last reported (harden check --server --device): as its findings.
    EXPECTED.put("GET /api/devices/{id}/packages", fleetReaders);
    // The validation entity (docs/ATTESTATION.md): operators and approvers ask for evidence;
    // approvers decide baselines, policies and readmission; the fleet's readers read.
    Set<Role> askers = EnumSet.of(Role.OPERATOR, Role.APPROVER);
    EXPECTED.put("POST /api/devices/{id}/attestations", askers);
    EXPECTED.put("POST /api/devices/{id}/readmit", EnumSet.of(Role.APPROVER));
    EXPECTED.put("GET /api/attestations", fleetReaders);
    EXPECTED.put("GET /api/attestations/{id}", fleetReaders);
    EXPECTED.put("GET /api/attestation/devices", fleetReaders);
    EXPECTED.put("GET /api/attestation/policies", fleetReaders);
    EXPECTED.put("PUT /api/attestation/policies/{neType}", EnumSet.of(Role.APPROVER));
    EXPECTED.put("GET /api/baselines", fleetReaders);
    EXPECTED.put("GET /api/baselines/{id}/files", fleetReaders);
    EXPECTED.put("POST /api/baselines/approve", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /api/baselines/{id}/approve", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /api/baselines/{id}/reject", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /api/deployments", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("POST /api/recoveries", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("GET /api/deployments", fleetReaders);
    EXPECTED.put("GET /api/deployments/{id}", fleetReaders);
    EXPECTED.put("GET /api/deployments/{id}/targets", fleetReaders);
    EXPECTED.put("POST /api/deployments/{id}/approve", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /api/deployments/{id}/reject", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /api/deployments/{id}/pause", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("POST /api/deployments/{id}/resume", EnumSet.of(Role.OPERATOR, Role.APPROVER));
    EXPECTED.put("POST /api/deployments/{id}/cancel", EnumSet.of(Role.OPERATOR));
    // The TUF repository: administration by admins, status for the fleet's readers; its files
    // for any signed-in user here (anyone with repo.public) and for devices on the agents' port.
    EXPECTED.put("GET /api/repo/online-keys", EnumSet.of(Role.ADMIN));
    EXPECTED.put("POST /api/repo/online-keys/{role}/rotate", EnumSet.of(Role.ADMIN));
    EXPECTED.put("POST /api/repo/root", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /api/repo/status", fleetReaders);
    // Targets signed offline: fetched and published by admins and security officers.
    EXPECTED.put("GET /api/repo/targets/next", EnumSet.of(Role.ADMIN, Role.APPROVER));
    EXPECTED.put("POST /api/repo/targets", EnumSet.of(Role.ADMIN, Role.APPROVER));
    EXPECTED.put("GET /api/repo/v1/metadata/{file}", ALL);
    EXPECTED.put("GET /api/repo/v1/targets/{file}", ALL);
    // The operators' console (issue 18): the same roles as the API it shows. Walked with
    // sessions by console.ConsoleSecurityTest, since a bearer token opens none of it.
    EXPECTED.put("GET /console/login", null);
    EXPECTED.put("GET /console", fleetReaders);
    EXPECTED.put("GET /console/deployments", fleetReaders);
    EXPECTED.put("GET /console/deployments/{id}", fleetReaders);
    EXPECTED.put("GET /console/deployments/{id}/waves", fleetReaders);
    EXPECTED.put("POST /console/deployments", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("POST /console/recoveries", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("POST /console/deployments/{id}/approve", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /console/deployments/{id}/reject", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /console/deployments/{id}/pause", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("POST /console/deployments/{id}/resume",
        EnumSet.of(Role.OPERATOR, Role.APPROVER));
    EXPECTED.put("POST /console/deployments/{id}/cancel", EnumSet.of(Role.OPERATOR));
    EXPECTED.put("GET /console/devices", fleetReaders);
    EXPECTED.put("GET /console/devices/{id}", fleetReaders);
    EXPECTED.put("POST /console/devices/{id}/attest", EnumSet.of(Role.OPERATOR, Role.APPROVER));
    EXPECTED.put("POST /console/devices/{id}/readmit", EnumSet.of(Role.APPROVER));
    EXPECTED.put("POST /console/devices/{id}/disable", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /console/audit", READERS);
    EXPECTED.put("POST /console/audit/verify", READERS);
    EXPECTED.put("GET /console/audit/export", READERS);
    EXPECTED.put("GET /console/users", EnumSet.of(Role.ADMIN));
    EXPECTED.put("POST /console/users/tokens/{id}/revoke", EnumSet.of(Role.ADMIN));
    EXPECTED.put("GET /console/packages", ALL);
    EXPECTED.put("GET /console/packages/{name}/{version}", ALL);
    // The Evidence page: admins and auditors, as the audit log, whose rows the documents quote.
    EXPECTED.put("GET /console/evidence", READERS);
    EXPECTED.put("POST /console/evidence", READERS);
    EXPECTED.put("GET /console/evidence/{id}/{format}", READERS);
    EXPECTED.put("POST /console/packages/upload", EnumSet.of(Role.PUBLISHER));
  }

  /** The console's pages: sessions only, walked by console.ConsoleSecurityTest. */
  public static boolean console(String key) {
    String path = key.split(" ")[1];
    return path.equals("/console") || path.startsWith("/console/");
  }

  /** The console's routes and the roles each admits (null: anonymous). */
  public static Map<String, Set<Role>> consoleRoutes() {
    Map<String, Set<Role>> m = new TreeMap<>();
    EXPECTED.forEach((k, v) -> {
      if (console(k)) {
        m.put(k, v);
      }
    });
    return m;
  }

  /** The agents' API, which the users' port does not serve: the walks leave it out. */
  static boolean agents(String key) {
    return key.split(" ")[1].startsWith("/api/device/");
  }

  /** Actuator endpoints, authorized by the security filter chain rather than @Allowed. */
  static final Map<String, Set<Role>> ACTUATOR = new TreeMap<>(Map.of(
      "GET /actuator/health", ALL, "GET /actuator/prometheus", READERS));

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    java.nio.file.Path work = s.dir.resolve("work");
    java.nio.file.Files.createDirectories(work);
    // One stored package, so that the package endpoints have something to (not) change.
    java.nio.file.Path b = Bundles.signed(work, "rbac", "1.0.0", 1, 10_000,
        s.pki.codeSigner().material());
    assertThat(s.http.upload(b, s.token(Role.PUBLISHER)).status()).isEqualTo(201);
    for (Role r : Role.values()) {
      s.token(r);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  @Test
  void catalog_declaresExactlyTheExpectedMatrix() {
    JsonNode endpoints = s.http.get("/api/endpoints", s.adminToken()).json();
    Map<String, Set<Role>> declared = new TreeMap<>();
    for (JsonNode e : endpoints) {
      String key = e.path("method").asText() + " " + e.path("path").asText();
      String access = e.path("access").asText();
      Set<Role> roles = EnumSet.noneOf(Role.class);
      e.path("roles").forEach(r -> roles.add(Role.valueOf(r.asText().toUpperCase())));
      declared.put(key, access.equals("anonymous") ? null : access.equals("any-user") ? ALL
          : access.equals("device") ? DEVICE : roles);
    }
    assertThat(declared).isEqualTo(EXPECTED);
  }

  @Test
  void walk_everyEndpointEveryRoleAndNoCredential_enforcedAndNothingChanged() {
    Map<String, String> before = snapshot();
    long auditBefore = auditRows();
    Map<String, Set<Role>> all = new LinkedHashMap<>(EXPECTED);
    all.putAll(ACTUATOR);
    List<String> failures = new ArrayList<>();
    int denials = 0;
    all.keySet().removeIf(RbacWalkTest::agents);
    all.keySet().removeIf(RbacWalkTest::console);
    for (Map.Entry<String, Set<Role>> e : all.entrySet()) {
      String method = e.getKey().split(" ")[0];
      String path = e.getKey().split(" ")[1].replaceAll("\\{[^}]+}", "probe-nothing");
      boolean anonymous = e.getValue() == null || e.getKey().equals("GET /actuator/health");
      // No credential.
      Http.Response none = probe(method, path, null);
      if (anonymous) {
        check(failures, e.getKey() + " no credential", none, false);
      } else {
        denials++;
        expect(failures, e.getKey() + " no credential", none, 401, "NOT_AUTHENTICATED");
      }
      for (Role role : Role.values()) {
        Http.Response r = probe(method, path, s.token(role));
        boolean admitted = anonymous || e.getValue().contains(role);
        if (admitted) {
          check(failures, e.getKey() + " as " + role.id(), r, true);
        } else {
          denials++;
          expect(failures, e.getKey() + " as " + role.id(), r, 403, "NOT_AUTHORIZED");
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(snapshot()).as("nothing changed").isEqualTo(before);
    assertThat(auditRows() - auditBefore).as("each refusal recorded").isGreaterThanOrEqualTo(denials);
    String recent = s.http.get("/api/audit?tail=true&limit=1000", s.adminToken()).body();
    assertThat(recent).contains("\"outcome\":\"denied\"").contains("NOT_AUTHORIZED")
        .contains("NOT_AUTHENTICATED");
  }

  /** One refusal the walk expects in the audit log. */
  record Expected(String actor, String target, String outcome, String why) {}

  /**
   * SRC-3, issue 10 finding 5: every refusal and every internal error leaves a row, and no
   * stack trace reaches a client. For every endpoint the server declares (and the Actuator's):
   * no credential, another authorization scheme, each role it does not admit, and a malformed
   * multipart body without a credential. Each refusal must have its own row naming the caller
   * and the request; no answer may be a 5xx or carry a stack trace.
   */
  @Test
  @DisplayName("SRC-3 every endpoint: each refusal has an audit row, no stack trace")
  void walk_everyRefusal_hasAuditRowAndNoStackTrace() {
    long before = auditRows();
    List<String> keys = new ArrayList<>();
    for (JsonNode e : s.http.get("/api/endpoints", s.adminToken()).json()) {
      keys.add(e.path("method").asText() + " " + e.path("path").asText());
    }
    keys.addAll(ACTUATOR.keySet());
    assertThat(keys).containsAll(EXPECTED.keySet());
    keys.removeIf(RbacWalkTest::agents);
    keys.removeIf(RbacWalkTest::console);
    Map<String, Set<Role>> declared = new LinkedHashMap<>(EXPECTED);
    declared.putAll(ACTUATOR);
    List<String> failures = new ArrayList<>();
    List<Expected> expected = new ArrayList<>();
    byte[] multipart = ("--b0undary\r\nContent-Disposition: form-data; name=\"file\";"
        + " filename=\"x.ngp\"\r\n\r\nnot closed").getBytes(StandardCharsets.UTF_8);
    for (String key : keys) {
      String method = key.split(" ")[0];
      String path = key.split(" ")[1].replaceAll("\\{[^}]+}", "probe-nothing");
      String target = method + " " + path;
      Set<Role> admitted = declared.get(key);
      boolean open = admitted == null || key.equals("GET /actuator/health");
      if (!open) {
        Http.Response none = probe(method, path, null);
        expect(failures, key + " no credential", none, 401, "NOT_AUTHENTICATED");
        expected.add(new Expected("anonymous", target, "denied", "no credential"));
      }
      Http.Response basic = s.http.sendRaw(method, path,
          Map.of("Authorization", "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtZm9yLXRlc3Rz"), null);
      expect(failures, key + " Basic scheme", basic, 401, "NOT_AUTHENTICATED");
      expected.add(new Expected("anonymous", target, "denied", "Basic scheme"));
      for (Role role : Role.values()) {
        if (!open && !admitted.contains(role)) {
          Http.Response r = probe(method, path, s.token(role));
          expect(failures, key + " as " + role.id(), r, 403, "NOT_AUTHORIZED");
          // TestServer's admin token is the first admin's own.
          String actor = role == Role.ADMIN ? "admin" : "u-" + role.id();
          expected.add(new Expected(actor, target, "denied", "role " + role.id()));
        }
      }
      Http.Response mp = s.http.sendRaw(method, path,
          Map.of("Content-Type", "multipart/form-data; boundary=b0undary"), multipart);
      if (mp.status() >= 500) {
        failures.add(key + " anonymous multipart: server error " + mp);
      } else if (mp.status() >= 400) {
        expected.add(new Expected("anonymous", target, mp.status() == 401 ? "denied" : "failure",
            "anonymous multipart, " + mp.status()));
      }
      for (Http.Response r : List.of(basic, mp)) {
        noStackTrace(failures, key, r);
      }
    }
    // Refusals decided inside a handler rather than by the endpoint's declaration.
    Http.Response all = s.http.get("/api/tokens?all=true", s.token(Role.OPERATOR));
    expect(failures, "tokens?all as operator", all, 403, "NOT_AUTHORIZED");
    expected.add(new Expected("u-operator", "GET /api/tokens?all=true", "denied", "all tokens"));
    String adminTokenId = s.adminToken().substring(4, 20);
    Http.Response revoke =
        s.http.send("DELETE", "/api/tokens/" + adminTokenId, s.token(Role.OPERATOR), null);
    if (revoke.status() != 404) {
      failures.add("revoking the admin's token as operator: expected 404, got " + revoke);
    }
    expected.add(new Expected("u-operator", "token " + adminTokenId, "denied", "other's token"));
    assertThat(failures).isEmpty();

    List<JsonNode> rows = new ArrayList<>();
    s.http.get("/api/audit?after=" + before + "&limit=10000", s.adminToken()).json()
        .forEach(rows::add);
    List<String> missing = new ArrayList<>();
    for (Expected x : expected) {
      JsonNode match = rows.stream()
          .filter(r -> r.path("actor").asText().equals(x.actor())
              && r.path("target").asText().equals(x.target())
              && r.path("outcome").asText().equals(x.outcome()))
          .findFirst().orElse(null);
      if (match == null) {
        missing.add(x.toString());
      } else {
        rows.remove(match); // each refusal needs its own row
      }
    }
    assertThat(missing).as("refusals without an audit row").isEmpty();
  }

  /**
   * SRC-1: the agents' API does not exist on the users' port, whatever the credential: no user
   * token reaches a device endpoint, and enrollment is offered on the agents' port only.
   */
  @Test
  @DisplayName("SRC-1 the agents' API on the users' port: 404 for everyone")
  void agentsApi_onUsersPort_notFoundForEveryone() {
    List<String> failures = new ArrayList<>();
    for (String key : EXPECTED.keySet().stream().filter(RbacWalkTest::agents).toList()) {
      String method = key.split(" ")[0];
      String path = key.split(" ")[1].replaceAll("\\{[^}]+}", "probe-nothing");
      expect(failures, key + " no credential", probe(method, path, null), 404, "BAD_INPUT");
      for (Role role : Role.values()) {
        expect(failures, key + " as " + role.id(), probe(method, path, s.token(role)), 404,
            "BAD_INPUT");
      }
    }
    assertThat(failures).isEmpty();
  }

  /** SRC-3, issue 10 finding 5: an upload failing inside the server used to leave no row. */
  @Test
  @DisplayName("SRC-3 an upload failing with a server-side error leaves an audit row")
  void upload_serverSideFailure_hasAuditRowAndNoStackTrace() throws Exception {
    java.nio.file.Path tmp = s.data().resolve("tmp");
    java.nio.file.Path aside = s.data().resolve("tmp-aside");
    java.nio.file.Files.move(tmp, aside);
    long before = auditRows();
    try {
      // A file where the upload directory should be: the server cannot spool the body.
      java.nio.file.Files.writeString(tmp, "not a directory");
      Http.Response r = s.http.uploadBytes(new byte[] {'P', 'K', 3, 4}, s.token(Role.PUBLISHER));
      assertThat(r.status()).as("%s", r).isGreaterThanOrEqualTo(400);
      List<String> failures = new ArrayList<>();
      noStackTrace(failures, "upload", r);
      assertThat(failures).isEmpty();
      JsonNode rows = s.http.get("/api/audit?after=" + before + "&limit=100", s.adminToken())
          .json();
      boolean found = false;
      for (JsonNode row : rows) {
        found |= row.path("actor").asText().equals("u-publisher")
            && !row.path("outcome").asText().equals("success")
            && (row.path("target").asText().equals("POST /api/packages")
                || row.path("action").asText().equals("PACKAGE_UPLOAD"));
      }
      assertThat(found).as("a failure row for the upload in %s", rows).isTrue();
    } finally {
      java.nio.file.Files.deleteIfExists(tmp);
      java.nio.file.Files.move(aside, tmp);
    }
  }

  static void noStackTrace(List<String> failures, String what, Http.Response r) {
    String b = r.body();
    if (b.contains("Exception") || b.contains("\tat ") || b.contains(".java:")
        || b.contains("org.springframework") || b.contains("org.apache")) {
      failures.add(what + ": the answer carries internals: " + r);
    }
  }

  @Test
  void severalRoles_eachAdmitted() {
    String both = s.token(Role.PUBLISHER, Role.AUDITOR);
    assertThat(s.http.get("/api/audit", both).status()).isEqualTo(200);
    assertThat(probe("POST", "/api/packages", both).status()).isNotIn(401, 403);
    assertThat(s.http.get("/api/users", both).status()).isEqualTo(200);
    assertThat(probe("POST", "/api/users", both).status()).isEqualTo(403);
  }

  /** A request an admitted caller sees refused on its content (so nothing changes). */
  static Http.Response probe(String method, String path, String token) {
    boolean body = method.equals("POST") || method.equals("PUT");
    return s.http.send(method, path, token, body ? "{\"probe\":true}" : null);
  }

  static void check(List<String> failures, String what, Http.Response r, boolean authenticated) {
    if (r.status() == 401 || r.status() == 403) {
      failures.add(what + ": expected to pass authorization, got " + r);
    }
    if (r.status() >= 500) {
      failures.add(what + ": server error " + r);
    }
  }

  static void expect(List<String> failures, String what, Http.Response r, int status,
      String code) {
    if (r.status() != status || !r.body().contains(code)) {
      failures.add(what + ": expected " + status + " " + code + ", got " + r);
    }
  }

  static Map<String, String> snapshot() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("users", s.http.get("/api/users", s.adminToken()).body());
    m.put("tokens", s.http.get("/api/tokens?all=true", s.adminToken()).body());
    m.put("packages", s.http.get("/api/packages", s.adminToken()).body());
    m.put("files", s.storedFiles().toString());
    return m;
  }

  static long auditRows() {
    return s.http.get("/api/audit?tail=true&limit=1", s.adminToken()).json().path(0).path("seq")
        .asLong();
  }
}
