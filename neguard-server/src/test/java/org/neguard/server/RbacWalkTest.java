package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
class RbacWalkTest {
  static TestServer s;

  static final Set<Role> ALL = EnumSet.allOf(Role.class);
  static final Set<Role> READERS = EnumSet.of(Role.ADMIN, Role.AUDITOR);
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
    EXPECTED.put("GET /api/trust", ALL);
    EXPECTED.put("GET /api/audit", READERS);
    EXPECTED.put("GET /api/audit/verify", READERS);
    EXPECTED.put("GET /api/audit/export", READERS);
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
      declared.put(key, access.equals("anonymous") ? null : access.equals("any-user") ? ALL : roles);
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
