package org.neguard.cli.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.attest.AttestationPolicy;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.BaselineInfo;
import org.neguard.api.attest.DeviceTrust;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;

/** What {@code neguard attest} prints of the validation entity's records, and its verdicts. */
class AttestTextTest {
  static final String TIM = "ab".repeat(32);

  static AttestationResult result(String reason, String result, String trust,
      ProblemReason... reasons) {
    return new AttestationResult("att-1", "dev-1", reason, result, "SOFTWARE_KEY", TIM, trust,
        "2026-12-04T09:00:00Z", result == null ? null : "2026-12-04T09:00:05Z",
        List.of(reasons));
  }

  @Test
  @DisplayName("ATT-4 REC-4 a failed attestation prints result, trust base, TIM, trust state and"
      + " the reason naming component and file")
  void describe_failure_namesComponentAndFile() {
    AttestationResult r = result("AFTER_UPDATE", "FAIL", "quarantined",
        new ProblemReason("MEASUREMENT_MISMATCH", "component pkg:core: file lib/core.so"
            + " differs from the reference", "pkg:core/lib/core.so"));
    String text = AttestText.describe(r);
    assertThat(text).contains("Attestation att-1 of device dev-1 (AFTER_UPDATE)")
        .contains("result       FAIL").contains("SOFTWARE_KEY (a key file on the NE")
        .contains("TIM          " + TIM).contains("trust state  quarantined")
        .contains("MEASUREMENT_MISMATCH  component pkg:core: file lib/core.so differs from the"
            + " reference [pkg:core/lib/core.so]");
    Problem p = AttestText.problem(r);
    assertThat(p.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(p.reasons()).extracting(ProblemReason::code)
        .containsExactly("MEASUREMENT_MISMATCH");
  }

  @Test
  @DisplayName("REC-3 a result that is not PASS and came without reasons still fails, saying what"
      + " to do")
  void problem_withoutReasons_saysWhatToDo() {
    assertThat(AttestText.problem(result("FIRST_CONTACT", "PENDING_BASELINE", "unknown"))
        .reasons()).singleElement().satisfies(p -> {
          assertThat(p.code()).isEqualTo("ATTESTATION_FAILED");
          assertThat(p.message()).contains("neguard attest baseline list --state pending");
        });
    assertThat(AttestText.problem(result("FIRST_CONTACT", "NO_REFERENCE", "untrusted"))
        .reasons()).singleElement().satisfies(p -> assertThat(p.code())
            .isEqualTo("NO_REFERENCE"));
    assertThat(AttestText.problem(result("REQUESTED", "EXPIRED", "trusted")).reasons())
        .singleElement().satisfies(p -> assertThat(p.message()).contains("did not answer"));
  }

  @Test
  @DisplayName("an awaited attestation is not judged and says so")
  void describe_awaited() {
    AttestationResult r = new AttestationResult("att-2", "dev-1", "REQUESTED", null, null, null,
        "trusted", "2026-12-04T09:00:00Z", null, null);
    assertThat(AttestText.judged(r)).isFalse();
    assertThat(AttestText.describe(r)).contains("awaiting the device's evidence")
        .contains("TIM          not verified").contains("judged       not yet");
  }

  @Test
  @DisplayName("OBJ-2 status lists device, type, trust state, last result, attested at and next")
  void statusTable_columns() {
    String t = AttestText.statusTable(List.of(
        new DeviceTrust("dev-1", "mme", "trusted", "", "2026-12-04T09:00:05Z",
            "2026-12-04T09:05:00Z", "PASS", null),
        new DeviceTrust("dev-2", "mme", "quarantined", "MEASUREMENT_MISMATCH etc/x", null, null,
            "FAIL", null)));
    List<String> lines = t.lines().toList();
    assertThat(lines.get(0)).startsWith("DEVICE").contains("NE TYPE", "TRUST", "LAST RESULT",
        "ATTESTED AT", "NEXT", "REASON");
    assertThat(lines.get(1)).contains("dev-1", "mme", "trusted", "PASS", "2026-12-04T09:00:05Z",
        "2026-12-04T09:05:00Z").doesNotEndWith(" ");
    assertThat(lines.get(2)).contains("dev-2", "quarantined", "FAIL", "never",
        "MEASUREMENT_MISMATCH etc/x");
  }

  @Test
  @DisplayName("a device's names cannot move the terminal's cursor: control characters escaped")
  void tables_escapeControls() {
    String t = AttestText.historyTable(List.of(result("SCHEDULED", "FAIL", "quarantined",
        new ProblemReason("MEASUREMENT_MISMATCH", "file etc/\u001b[2Jx changed", null))));
    assertThat(t).doesNotContain("\u001b").contains("\\u001b[2Jx");
  }

  @Test
  @DisplayName("REC-1 baselines and policies print with approvers, files and actions")
  void baselinesAndPolicies() {
    BaselineInfo b = new BaselineInfo("bl-1", "dev-1", "path:/etc/neguard", "cd".repeat(32),
        2, "pending", "2026-12-04T09:00:00Z",
        List.of("appr"));
    assertThat(AttestText.baselineTable(List.of(b))).contains("bl-1", "path:/etc/neguard",
        "cdcdcdcdcdcdcdcd...", "pending", "appr");
    assertThat(AttestText.baseline(b)).contains("appr (1 of 2)").contains("files        2");
    assertThat(AttestText.policyTable(List.of(new AttestationPolicy("mme",
        List.of("quarantine", "rollback", "reinstall=core@1.0"), "appr",
        "2026-12-04T09:00:00Z")))).contains("mme", "quarantine,rollback,reinstall=core@1.0",
            "appr");
  }

  @Test
  @DisplayName("REC-1 policy actions: quarantine, rollback, reinstall=PACKAGE@VERSION only")
  void policyActions() {
    assertThat(List.of("quarantine", "rollback", "reinstall=core@1.0",
        "reinstall=neguard-agent@2.1.0-rc1")).allMatch(AttestPolicyCommand::valid);
    assertThat(List.of("quarantin", "reinstall=core", "reinstall=@1.0", "reinstall=core@",
        "reinstall=../x@1", "rollback;rm")).noneMatch(AttestPolicyCommand::valid);
  }
}
