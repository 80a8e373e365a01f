package org.neguard.harden.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.neguard.evidence.TestCase;
import org.neguard.harden.Observation;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.VulnerabilityInput;
import org.neguard.harden.eval.VulnerabilityResult;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Policy;
import org.neguard.verdict.Reason;

/**
 * One test case in the SCAS shape of 3GPP TS 33.117 (test name, purpose, procedure actually
 * executed, expected result, actual result, verdict), filled from an evaluation (HRD-6).
 *
 * @param id {@code TC_NO_UNNECESSARY_SERVICE}, {@code TC_BVT_PORT_SCANNING} or {@code
 *     TC_BVT_VULNERABILITY_SCANNING}
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

  /** The id of the vulnerability-scanning test case (TS 33.117 §4.4.3). */
  public static final String VULNERABILITY_SCANNING = "TC_BVT_VULNERABILITY_SCANNING";

  /** The three test cases of the hardening audit, for an evaluation. */
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
        e.reasons().stream().filter(r -> !VULNERABILITY_CODES.contains(r.code())).toList());

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
        // The port half of HRD-3 only: the vulnerability half is the next test case's.
        scanned ? verdict(e, "HRD-4").and(Evaluator.portScanVerdict(o)) : Verdict.NOT_TESTED,
        scanReasons.stream().filter(r -> !VULNERABILITY_CODES.contains(r.code())).toList());
    return List.of(noUnnecessary, portScan, vulnerabilityScan(e, obtain, evaluated));
  }

  private static final java.util.Set<org.neguard.verdict.ReasonCode> VULNERABILITY_CODES =
      java.util.Set.of(org.neguard.verdict.ReasonCode.KNOWN_VULNERABILITY,
          org.neguard.verdict.ReasonCode.SCAN_POLICY);

  /** TS 33.117 §4.4.3: the known vulnerabilities of what the NE runs (HRD-3's second half). */
  private static TestCaseResult vulnerabilityScan(Evaluation e, List<String> obtain,
      String evaluated) {
    VulnerabilityResult v = e.vulnerabilities();
    List<String> steps = new ArrayList<>();
    List<Reason> discrepancies = new ArrayList<>();
    if (v.input().isPresent()) {
      VulnerabilityInput in = v.input().get();
      steps.addAll(obtain);
      steps.add("List what the host runs: " + in.packages() + ", as " + in.release()
          + "; each open port mapped to the process and package behind it, or to the product"
          + " and version its service revealed (CPE).");
      steps.add("Match them against the vulnerability database " + in.database() + ": "
          + String.join("; ", in.assessment().feeds().stream().map(f -> f.name() + " ("
              + f.kind() + ", " + f.records() + " records, newest " + f.newest() + ")")
              .toList()) + (in.stale().isPresent() ? " (NOT CURRENT)" : "") + ".");
      steps.add("Matching: " + in.assessment().method());
      steps.add("Judge the findings: at or above " + in.failOn() + " fails unless the policy"
          + " waives it with a reason (" + e.policy().vulnerabilityWaivers().size()
          + " waiver(s)) or a VEX statement says not affected.");
      steps.add(evaluated);
      discrepancies.addAll(e.reasons().stream()
          .filter(r -> VULNERABILITY_CODES.contains(r.code())).toList());
      discrepancies.addAll(in.doubts());
    } else {
      steps.add("Not executed: no vulnerability database was given (harden check --vulndb DIR,"
          + " feeds imported offline with 'neguard vulndb import').");
    }
    return new TestCaseResult(VULNERABILITY_SCANNING, "3GPP TS 33.117 §4.4.3",
        "Vulnerability scanning", List.of("HRD-3", "HRD-6"),
        "Verify that what the NE runs, and in particular what serves its open ports, has no"
            + " known vulnerability at or above the policy's threshold, against a current"
            + " vulnerability database.",
        steps,
        "No known vulnerability at or above the threshold, other than waived with a reason;"
            + " the database is current.",
        v.ran() ? v.actual() : "not executed",
        v.verdict(),
        discrepancies);
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
