package org.neguard.harden.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.neguard.evidence.TestCase;
import org.neguard.harden.Observation;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Policy;
import org.neguard.verdict.Reason;

/**
 * One test case in the SCAS shape of 3GPP TS 33.117 (test name, purpose, procedure actually
 * executed, expected result, actual result, verdict), filled from an evaluation (HRD-6).
 *
 * @param id {@code TC_NO_UNNECESSARY_SERVICE} or {@code TC_BVT_PORT_SCANNING}
 * @param reference the clause of TS 33.117
 * @param title the test's name
 * @param requirements the requirement IDs it covers
 * @param purpose what it verifies
 * @param procedure the steps as executed, with tools, versions, parameters and times
 * @param expected the expected result
 * @param actual the actual result
 * @param verdict the verdict: the worst of its requirements'
 * @param discrepancies every discrepancy from the declared list that bears on it
 */
public record TestCaseResult(
    String id,
    String reference,
    String title,
    List<String> requirements,
    String purpose,
    List<String> procedure,
    String expected,
    String actual,
    Verdict verdict,
    List<Reason> discrepancies) {
  public TestCaseResult {
    Objects.requireNonNull(id, "id");
    requirements = List.copyOf(requirements);
    procedure = List.copyOf(procedure);
    discrepancies = List.copyOf(discrepancies);
  }

  /**
   * This test case in the evidence model shared by every NEGuard evidence document; each
   * discrepancy becomes a detail line {@code CODE subject: message}.
   */
  public TestCase toTestCase() {
    return new TestCase(id, requirements, title, verdict.outcome(), reference, purpose, procedure,
        expected, actual, discrepancies.stream()
            .map(r -> r.code() + (r.subject() == null ? "" : " " + r.subject()) + ": "
                + r.message())
            .toList());
  }

  /** The two test cases of the hardening audit, for an evaluation. */
  public static List<TestCaseResult> of(Evaluation e) {
    Observation o = e.observation();
    Policy p = e.policy();
    List<String> obtain = new ArrayList<>();
    obtain.add("Obtain the open ports and services of " + o.host() + ": " + o.source() + " by "
        + nz(o.tool()) + ", run from " + nz(o.scanner()) + ", " + o.started() + " to "
        + o.finished() + (o.complete() ? "" : " (INCOMPLETE)") + ".");
    o.parameters().forEach((k, v) -> obtain.add("  " + k + ": " + v));
    String compare = "Compare every port found with the declared list of NE type '" + p.neType()
        + "' (" + nz(p.source()) + ", SHA-256 " + nz(p.sha256()) + "): " + p.allowed().size()
        + " declared port(s).";
    String forbidden = "Check every port against the forbidden list: the baseline of seed 003"
        + " R5 (" + org.neguard.harden.policy.Baseline.rules().size() + " rules), " + p.extensions().size() + " operator rule(s), "
        + p.waivers().size() + " waiver(s)"
        + (p.waivers().isEmpty() ? "" : ": " + String.join("; ", p.waivers().stream()
            .map(w -> w.scope() + " waived because " + w.reason()).toList()))
        + ".";
    String evaluated = "Evaluated by NEGuard at " + e.evaluated() + ".";

    List<String> p1 = new ArrayList<>(obtain);
    p1.add(compare);
    p1.add(forbidden);
    List<String> versionRules = p.allowed().stream().filter(a -> a.protocol() != null)
        .map(a -> a.key() + " " + a.protocol().describe()).toList();
    if (!versionRules.isEmpty()) {
      // The seed's "forbidding early versions": say which and how they were checked.
      p1.add("Check the protocol versions the policy allows (" + String.join("; ", versionRules)
          + ") with the scan's version probes (procedure.protocolProbes): every other version"
          + " must go unanswered while an allowed one answers.");
    }
    p1.add("Repeat after a reboot of the NE and compare both runs with 'neguard harden diff'"
        + " (a separate step; its result is not part of this report).");
    p1.add(evaluated);
    Verdict v1 = verdict(e, "HRD-1", "HRD-4", "HRD-5");
    TestCaseResult noUnnecessary = new TestCaseResult(
        "TC_NO_UNNECESSARY_SERVICE", "3GPP TS 33.117 §4.3.2.1",
        "No unnecessary or insecure services / protocols",
        List.of("HRD-1", "HRD-2", "HRD-4", "HRD-5", "HRD-6"),
        "Verify that the NE runs only the services its operation needs, each declared with a"
            + " justification, and none of the forbidden insecure services.",
        p1,
        "Every open port is on the declared list and reachable only where declared; no"
            + " forbidden service is open; every port's state is conclusive.",
        actual(e, "HRD-1", "HRD-4", "HRD-5"),
        v1,
        e.reasons());

    boolean scanned = !"inventory".equals(o.source());
    List<String> p2 = new ArrayList<>(obtain);
    p2.add(compare);
    p2.add(evaluated);
    List<Reason> scanReasons = scanned ? e.reasons() : List.of();
    TestCaseResult portScan = new TestCaseResult(
        "TC_BVT_PORT_SCANNING", "3GPP TS 33.117 §4.4.2", "Port scanning",
        List.of("HRD-3", "HRD-4", "HRD-6"),
        "Verify with a port scanner that only the documented ports are open on the NE's"
            + " interfaces.",
        scanned ? p2 : List.of("Not executed: the observation is a local inventory, not a port"
            + " scan. Import nmap XML (--nmap-xml) or run the NEGuard scan."),
        "The scanner finds open only the ports of the declared list, on the allowed interfaces.",
        scanned ? actual(e, "HRD-3", "HRD-4") : "not executed",
        scanned ? verdict(e, "HRD-3", "HRD-4") : Verdict.NOT_TESTED,
        scanReasons);
    return List.of(noUnnecessary, portScan);
  }

  private static Verdict verdict(Evaluation e, String... ids) {
    Verdict v = Verdict.NOT_TESTED;
    for (String id : ids) {
      v = v.and(e.requirement(id).map(RequirementResult::verdict).orElse(Verdict.INCONCLUSIVE));
    }
    if (!e.observation().complete()) {
      v = v.and(Verdict.INCONCLUSIVE);
    }
    return v == Verdict.NOT_TESTED ? Verdict.INCONCLUSIVE : v;
  }

  private static String actual(Evaluation e, String... ids) {
    List<String> parts = new ArrayList<>();
    for (String id : ids) {
      e.requirement(id).ifPresent(r -> parts.add(id + " " + r.verdict() + ": " + r.actual()));
    }
    long discrepancies = e.findings().stream().filter(PortFinding::discrepancy).count();
    parts.add(discrepancies + " discrepanc" + (discrepancies == 1 ? "y" : "ies") + " listed");
    return String.join(". ", parts) + ".";
  }

  private static String nz(String s) {
    return s == null ? "(not recorded)" : s;
  }
}
