package org.neguard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.RolesRequest;
import org.neguard.api.auth.User;
import org.neguard.api.auth.WhoAmI;
import org.neguard.api.pkg.TrustInfo;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/** The wire records write and read the JSON that docs/SERVER.md documents, field for field. */
class WireRecordsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void problem_isTheCliJsonShape_subjectLeftOutWhenNone() throws Exception {
    Problem p = Problem.of(List.of(Reason.about(ReasonCode.UNSIGNED, "a.ngp", "not signed"),
        Reason.of(ReasonCode.INFECTED, "eicar")));
    assertThat(JSON.writeValueAsString(p)).isEqualTo("{\"verdict\":\"fail\",\"reasons\":["
        + "{\"code\":\"UNSIGNED\",\"message\":\"not signed\",\"subject\":\"a.ngp\"},"
        + "{\"code\":\"INFECTED\",\"message\":\"eicar\"}]}");
    assertThat(JSON.readValue(JSON.writeValueAsString(p), Problem.class)).isEqualTo(p);
  }

  @Test
  void problem_verdictByTheOneRule_anErrorAmongRefusalsMakesAnError() {
    Problem p = Problem.of(List.of(Reason.of(ReasonCode.UNSIGNED, "x"),
        Reason.of(ReasonCode.ENGINE_UNAVAILABLE, "y")));
    assertThat(p.verdict()).isEqualTo(Verdict.ERROR);
    assertThat(p.kind()).isEqualTo(ReasonCode.Kind.ERROR);
  }

  @Test
  void unknownCode_keptAsWritten_classifiedByTheVerdict() throws Exception {
    Problem p = JSON.readValue("{\"verdict\":\"fail\",\"reasons\":[{\"code\":\"NEW_CODE\","
        + "\"message\":\"m\"},{\"code\":\"UNSIGNED\",\"message\":\"n\"}]}", Problem.class);
    assertThat(p.reasons().get(0).code()).isEqualTo("NEW_CODE");
    assertThat(p.reasons().get(0).knownCode()).isEmpty();
    assertThat(p.reasons().get(1).knownCode()).contains(ReasonCode.UNSIGNED);
    assertThat(p.known()).as("not every code is known").isEmpty();
    assertThat(p.kind()).isEqualTo(ReasonCode.Kind.REFUSAL);
    assertThat(new Problem(Verdict.ERROR, p.reasons()).kind()).isEqualTo(ReasonCode.Kind.ERROR);
  }

  @Test
  void problem_refusesPassAndNoReasons() {
    List<ProblemReason> one = List.of(new ProblemReason("UNSIGNED", "m", null));
    assertThatThrownBy(() -> new Problem(Verdict.PASS, one))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not pass");
    assertThatThrownBy(() -> new Problem(Verdict.FAIL, List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reasons is empty");
    assertThatThrownBy(() -> Verdict.parse("maybe"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'maybe'");
  }

  @Test
  void users_rolesLowerCase_timesAsIsoText() throws Exception {
    Instant t = Instant.parse("2026-12-04T03:31:25.123456Z");
    CreatedUser c = new CreatedUser(
        new User("bob", RoleName.of(List.of(Role.PUBLISHER, Role.AUDITOR)), false,
            WireTime.of(t)), null);
    assertThat(JSON.writeValueAsString(c)).isEqualTo("{\"user\":{\"username\":\"bob\","
        + "\"roles\":[\"publisher\",\"auditor\"],\"disabled\":false,"
        + "\"createdAt\":\"2026-12-04T03:31:25.123456Z\"},\"password\":null}");
    assertThat(WireTime.parse(c.user().createdAt())).isEqualTo(t);
    assertThat(JSON.readValue("[\"Admin\"]", Role[].class)).containsExactly(Role.ADMIN);
  }

  @Test
  void roleName_unknownKeptAsWritten_grantsNothing_plainStringOnTheWire() throws Exception {
    WhoAmI me = JSON.readValue(
        "{\"username\":\"a\",\"roles\":[\"admin\",\"curator\"],\"tokenId\":\"t\"}",
        WhoAmI.class);
    assertThat(me.roles()).extracting(RoleName::id).containsExactly("admin", "curator");
    assertThat(me.roles().get(0).known()).contains(Role.ADMIN);
    assertThat(me.roles().get(1).known()).isEmpty();
    assertThat(Arrays.stream(Role.values()).filter(r -> me.roles().get(1).is(r))).isEmpty();
    assertThat(RoleName.holds(me.roles(), Role.ADMIN)).isTrue();
    assertThat(RoleName.holds(me.roles(), Role.AUDITOR)).isFalse();
    assertThat(JSON.writeValueAsString(me)).isEqualTo(
        "{\"username\":\"a\",\"roles\":[\"admin\",\"curator\"],\"tokenId\":\"t\"}");
    assertThat(JSON.readValue("[\"Admin\"]", RoleName[].class)[0].known()).contains(Role.ADMIN);
    assertThat(RoleName.of(List.of(Role.AUDITOR, Role.ADMIN))).extracting(RoleName::id)
        .containsExactly("auditor", "admin");
    // Requests stay strict: a server refuses a role it does not know.
    assertThatThrownBy(() -> JSON.readValue("{\"roles\":[\"curator\"]}", RolesRequest.class))
        .hasMessageContaining("unknown role 'curator'");
  }

  @Test
  void roleNameAndCode_ofAnyOtherShape_refused_soNothingShownAsWrittenFakesALineOrAnEscape()
      throws Exception {
    for (String bad : new String[] {"admin\nmallory enabled admin", "\u001b[2Jadmin", "", "1x",
        "a".repeat(65), "adm in"}) {
      assertThatThrownBy(() -> RoleName.of(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
      String answer = "{\"username\":\"a\",\"roles\":[" + JSON.writeValueAsString(bad)
          + "],\"tokenId\":\"t\"}";
      assertThatThrownBy(() -> JSON.readValue(answer, WhoAmI.class)).as(bad)
          .isInstanceOf(java.io.IOException.class);
    }
    assertThat(RoleName.of("release.manager-2").id()).isEqualTo("release.manager-2");
    for (String bad :
        new String[] {"UNSIGNED\n  PASS", "\u001b[31mX", "", "lower", "A".repeat(65)}) {
      assertThatThrownBy(() -> new ProblemReason(bad, "m", null)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(new ProblemReason("PACKAGE_QUARANTINED", "m", null).knownCode()).isEmpty();
  }

  @Test
  void auditVerification_namesTheHeadWhenIntact_theFirstBadRowWhenBroken() throws Exception {
    assertThat(JSON.writeValueAsString(AuditVerification.intact(3, "ab")))
        .isEqualTo("{\"intact\":true,\"rows\":3,\"headHash\":\"ab\"}");
    assertThat(JSON.writeValueAsString(AuditVerification.broken(3, 2, "row 2 altered")))
        .isEqualTo("{\"intact\":false,\"rows\":3,\"firstBadSeq\":2,\"problem\":\"row 2 altered\"}");
  }

  @Test
  void trust_anchorsAndCrls() throws Exception {
    TrustInfo t = new TrustInfo(
        List.of(new TrustInfo.Anchor("CN=v", "ff", "2030-01-01T00:00:00Z", Set.of("ACME"),
            "vendor 'ACME'")),
        List.of(new TrustInfo.Crl("CN=v", "2026-01-01T00:00:00Z", null, 0)));
    assertThat(JSON.readTree(JSON.writeValueAsString(t)).path("anchors").get(0).fieldNames())
        .toIterable().containsExactly("subject", "fingerprint", "notAfter", "vendors",
            "speaksFor");
    assertThat(JSON.readValue(JSON.writeValueAsString(t), TrustInfo.class)).isEqualTo(t);
  }
}
