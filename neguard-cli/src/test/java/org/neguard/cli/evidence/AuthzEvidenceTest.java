package org.neguard.cli.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** SRC-3 evidence: each refusal of the probes is matched to its own audit row. */
class AuthzEvidenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> USERS =
      List.of("p-admin", "p-publisher", "p-operator", "p-approver", "p-auditor");

  private static Map<String, Object> row(String method, String path, Map<String, Object> results) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", method);
    m.put("path", path);
    m.put("results", results);
    return m;
  }

  private static JsonNode denied(String actor, String target) {
    return JSON.createObjectNode().put("action", "ACCESS").put("outcome", "denied")
        .put("actor", actor).put("target", target);
  }

  @Test
  @DisplayName("SRC-3: someone else's refused requests cannot stand in for the probes' rows")
  void refusalsRecorded_unrelatedDeniedRows_notCounted() {
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("none", 401);
    results.put("publisher", 403);
    results.put("admin", 200);
    List<Map<String, Object>> matrix = List.of(row("DELETE", "/api/users/{name}", results));

    long[] none = AuthzEvidence.refusalsRecorded(matrix, USERS, List.of(
        denied("anonymous", "GET /api/other"), denied("mallory", "GET /api/users"),
        denied("anonymous", "GET /api/other")));
    assertThat(none).containsExactly(2, 0);

    long[] both = AuthzEvidence.refusalsRecorded(matrix, USERS, List.of(
        denied("anonymous", "DELETE /api/users/evidence-probe-nothing"),
        denied("p-publisher", "DELETE /api/users/evidence-probe-nothing")));
    assertThat(both).containsExactly(2, 2);

    long[] twiceTheSame = AuthzEvidence.refusalsRecorded(matrix, USERS, List.of(
        denied("anonymous", "DELETE /api/users/evidence-probe-nothing"),
        denied("anonymous", "DELETE /api/users/evidence-probe-nothing")));
    assertThat(twiceTheSame).as("one row counts for one refusal").containsExactly(2, 1);
  }
}
