package org.neguard.evidence.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.RoleName;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.document.CaseDocument;

/** The authorization document's judgement of a declared matrix (SRC-1, SRC-3). */
@DisplayName("SRC-1 SRC-3 the server's authorization evidence")
class RbacDocumentTest {
  private static final Instant AT = Instant.parse("2026-12-05T04:00:00Z");

  static Endpoint roles(String method, String path, String... roles) {
    return new Endpoint(method, path, "roles",
        List.of(roles).stream().map(RoleName::of).toList());
  }

  static final List<Endpoint> GOOD = List.of(
      roles("POST", "/api/deployments", "operator"),
      roles("POST", "/api/deployments/{id}/approve", "approver"),
      roles("POST", "/api/packages", "publisher"),
      roles("POST", "/api/users", "admin"),
      roles("GET", "/api/users", "admin", "auditor"));

  static final AuditRecord REFUSAL = new AuditRecord(7, "2026-12-05T03:00:00Z", "u-operator",
      "ACCESS", "GET /console/users", "denied", "NOT_AUTHORIZED", "127.0.0.1", "", "");

  @Test
  @DisplayName("SRC-1 a matrix that follows the rules passes; enforcement is not demonstrated")
  void build_goodMatrix_passes() {
    CaseDocument d = RbacDocument.build("test", AT, GOOD, List.of(REFUSAL));
    assertThat(d.verdict()).isEqualTo("PASS");
    assertThat(new String(d.json(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"TC-SRC1-P1\"").contains("NOT_TESTED");
    assertThat(d.html()).contains("/api/deployments/{id}/approve").contains("GET /console/users");
  }

  @Test
  @DisplayName("SRC-1 a deployment route that also admits admins fails the document")
  void build_creationAdmitsMore_fails() {
    List<Endpoint> bad = List.of(roles("POST", "/api/deployments", "operator", "admin"),
        GOOD.get(1), GOOD.get(2), GOOD.get(3));
    CaseDocument d = RbacDocument.build("test", AT, bad, List.of(REFUSAL));
    assertThat(d.verdict()).isEqualTo("FAIL");
    assertThat(RbacDocument.rule(RbacDocument.RULES.get(0), bad).outcome())
        .isEqualTo(Outcome.FAIL);
  }

  @Test
  @DisplayName("SRC-1 an account route open to any user fails; SRC-3 no refusal: not"
      + " demonstrated")
  void build_anyUserOnAccounts_failsAndNoRefusalNotTested() {
    List<Endpoint> bad = List.of(new Endpoint("PUT", "/api/users/{username}/roles", "any-user",
        List.of()));
    assertThat(RbacDocument.rule(RbacDocument.RULES.get(3), bad).outcome())
        .isEqualTo(Outcome.FAIL);
    assertThat(RbacDocument.refusals(List.of()).outcome()).isEqualTo(Outcome.NOT_TESTED);
    assertThat(RbacDocument.rule(RbacDocument.RULES.get(2), List.of()).outcome())
        .as("no route of the rule: nothing shown").isEqualTo(Outcome.NOT_TESTED);
  }
}
