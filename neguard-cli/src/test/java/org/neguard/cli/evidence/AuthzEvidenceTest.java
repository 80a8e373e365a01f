package org.neguard.cli.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.audit.AuditRecord;
import org.neguard.evidence.TestCase;
import org.w3c.dom.Document;

/**
 * SRC-1..3 evidence: each refusal of the probes is matched to its own audit row; the documents
 * are the shared evidence model's HTML, JSON and JUnit XML.
 */
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

  private static AuditRecord denied(String actor, String target) {
    return new AuditRecord(1, "2026-12-01T10:00:00Z", actor, "ACCESS", target, "denied", "",
        "-", "0".repeat(64), "0".repeat(64));
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

  @Test
  @DisplayName("SRC-3: a refused approval is found only as its own row, with its reason code")
  void expectedApprovalRefusal_otherActorActionOrCode_notMatched() {
    DeployEvidence.Expected fourEyes = new DeployEvidence.Expected("creator's approval",
        "p-deployer", "DEPLOYMENT_APPROVE", "deployment d1", "denied", "FOUR_EYES");
    AuditRecord row = new AuditRecord(1, "2026-12-01T10:00:00Z", "p-deployer",
        "DEPLOYMENT_APPROVE", "deployment d1", "denied", "FOUR_EYES: p-deployer created it", "-",
        "0".repeat(64), "0".repeat(64));
    assertThat(fourEyes.matches(row)).isTrue();
    assertThat(fourEyes.matches(new AuditRecord(1, row.occurredAt(), "p-approver",
        row.action(), row.target(), row.outcome(), row.detail(), "-", row.prevHash(),
        row.hash()))).as("another actor").isFalse();
    assertThat(fourEyes.matches(new AuditRecord(1, row.occurredAt(), row.actor(),
        row.action(), "deployment d2", row.outcome(), row.detail(), "-", row.prevHash(),
        row.hash()))).as("another deployment").isFalse();
    assertThat(fourEyes.matches(new AuditRecord(1, row.occurredAt(), row.actor(),
        row.action(), row.target(), row.outcome(), "CONFLICT: twice", "-", row.prevHash(),
        row.hash()))).as("another reason").isFalse();
  }

  @Test
  @DisplayName("SRC-1: the evidence is HTML, JSON and JUnit XML of the same test cases, escaped")
  void write_oneFailingCase_threeDocumentsNameIt(@TempDir Path dir) throws Exception {
    String hostile = "<img src=x onerror='alert(1)'>";
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("title", "NEGuard authorization evidence (SRC-1, SRC-2, SRC-3)");
    doc.put("generatedAt", "2026-12-01T10:00:00Z");
    doc.put("server", "https://oam.example:8443");
    doc.put("collectedBy", "admin " + hostile);
    doc.put("roles", Map.of("admin", List.of("root")));
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("none", 401);
    AuthzEvidence.ROLES.forEach(r -> results.put(r, 403));
    Map<String, Object> row = row("GET", "/api/audit", results);
    row.put("declared", "auditor");
    row.put("matches", false);
    doc.put("matrix", List.of(row));
    doc.put("trustAnchors", List.of(Map.of("subject", "CN=Demo", "fingerprint", "ab",
        "notAfter", "2030-01-01")));
    doc.put("auditChain", Map.of("intact", true));
    List<TestCase> cases = List.of(
        TestCase.of("TC-SRC1-02", "SRC-1", "No credential, no access", "p", "proc", "401",
            "1 endpoints refused with 401", true),
        TestCase.of("TC-SRC1-03", "SRC-1", "Only the declared roles are admitted", "p", "proc",
            "403", "mismatches: GET /api/audit as auditor " + hostile, false));

    AuthzEvidence.Result r = AuthzEvidence.write(dir, doc, cases);

    assertThat(r.passed()).isEqualTo(1);
    assertThat(r.failed()).containsExactly("TC-SRC1-03");
    JsonNode json = JSON.readTree(r.json().toFile());
    assertThat(json.path("verdict").asText()).isEqualTo("fail");
    assertThat(json.path("testCases").findValuesAsText("id"))
        .containsExactly("TC-SRC1-02", "TC-SRC1-03");
    assertThat(json.path("testCases").path(1).path("verdict").asText()).isEqualTo("FAIL");
    assertThat(json.path("testCases").path(1).path("requirements").path(0).asText())
        .isEqualTo("SRC-1");

    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document junit = f.newDocumentBuilder().parse(r.junit().toFile());
    assertThat(junit.getDocumentElement().getAttribute("tests")).isEqualTo("2");
    assertThat(junit.getDocumentElement().getAttribute("failures")).isEqualTo("1");
    assertThat(junit.getElementsByTagName("failure").item(0).getAttributes()
        .getNamedItem("message").getNodeValue()).contains(hostile);

    String html = Files.readString(r.html());
    assertThat(html).contains("RBAC matrix as enforced", "TC-SRC1-03", "CN=Demo",
        "Content-Security-Policy", "&lt;img src=x onerror=&#39;alert(1)&#39;&gt;")
        .doesNotContain("<img");
  }
}
