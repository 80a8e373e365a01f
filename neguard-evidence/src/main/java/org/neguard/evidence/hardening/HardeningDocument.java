package org.neguard.evidence.hardening;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.neguard.api.device.DeviceDrift;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.HardeningPolicyInfo;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.evidence.Outcome;
import org.neguard.evidence.TestCase;
import org.neguard.evidence.document.CaseDocument;

/**
 * The fleet's hardening evidence (HRD-1, HRD-2, HRD-4, HRD-6) from what a server recorded: each
 * NE's last socket inventory, reported by its agent and judged against its NE type's hardening
 * policy in force (port drift), one test case per NE. An NE passes only when its last inventory
 * was judged PASS and no finding is open; an open finding fails it; an NE with no inventory or
 * no policy for its type is not demonstrated (nothing was judged, never a pass), an inventory
 * judged INCONCLUSIVE stays inconclusive. Thread-safe (stateless).
 */
public final class HardeningDocument {
  public static final String TITLE = "NEGuard hardening evidence: the NEs' open ports judged"
      + " against their hardening policies (HRD-1, HRD-2, HRD-4, HRD-6)";

  private HardeningDocument() {}

  /**
   * The document over {@code devices} (each with its findings, newest first, open and resolved)
   * and the {@code policies} in force, read from {@code source} at {@code generatedAt}.
   */
  public static CaseDocument build(String source, Instant generatedAt,
      List<DeviceDrift> devices, List<HardeningPolicyInfo> policies) {
    Map<String, HardeningPolicyInfo> byType = policies.stream()
        .filter(HardeningPolicyInfo::current)
        .collect(Collectors.toMap(HardeningPolicyInfo::neType, Function.identity(),
            (a, b) -> a.version() >= b.version() ? a : b, LinkedHashMap::new));
    List<TestCase> cases = devices.stream().map(d -> device(d, byType.get(d.neType())))
        .toList();
    Map<String, Object> observed = new LinkedHashMap<>();
    observed.put("devices", devices);
    observed.put("policies", byType.values().stream().map(p -> Map.of("neType", p.neType(),
        "version", p.version(), "sha256", p.sha256(), "declared", p.declared())).toList());
    String intro = "<p>Each NE's agent reports its listening sockets from <code>/proc</code>"
        + " (<code>neguard agent</code>, port drift); the server judges each report against"
        + " the hardening policy of the NE's type with the evaluator of <code>neguard harden"
        + " check</code> (declared ports, the HRD-5 forbidden baseline) and keeps a finding"
        + " open per undeclared or forbidden socket until a later report shows it gone. For a"
        + " scan from the network, run <code>neguard harden check --target</code>.</p>\n";
    return CaseDocument.of(TITLE, generatedAt, source, intro, cases, observed);
  }

  /** One NE's test case. */
  static TestCase device(DeviceDrift d, HardeningPolicyInfo policy) {
    List<DriftFinding> open = d.findings().stream().filter(f -> f.resolvedAt() == null)
        .toList();
    List<String> details = new ArrayList<>();
    open.forEach(f -> details.add("OPEN " + finding(f)));
    d.findings().stream().filter(f -> f.resolvedAt() != null).forEach(f -> details.add(
        "resolved at " + f.resolvedAt() + " (" + f.resolution() + "): " + finding(f)));
    Outcome outcome;
    String actual;
    if (policy == null) {
      outcome = Outcome.NOT_TESTED;
      actual = "no hardening policy is uploaded for NE type " + d.neType() + ": nothing was"
          + " judged (upload one with neguard policy upload)";
    } else if (InventoryVerdict.REFUSED.equals(d.lastVerdict())) {
      // A report the server could not judge is no pass, whatever an older one said.
      outcome = Outcome.FAIL;
      actual = "the NE's last socket inventory was refused at " + d.refusedAt() + " ("
          + d.refusals() + " refused since the last accepted one): " + d.refusal()
          + (d.openFindings() > 0 ? "; " + d.openFindings() + " finding(s) open" : "");
    } else if (d.lastInventoryAt() == null) {
      outcome = Outcome.NOT_TESTED;
      actual = "no socket inventory received from the NE's agent yet";
    } else if (!open.isEmpty() || d.openFindings() > 0) {
      outcome = Outcome.FAIL;
      actual = Math.max(open.size(), d.openFindings()) + " port(s) open that policy version "
          + policy.version() + " does not allow (last inventory at " + d.lastInventoryAt()
          + ", judged " + d.lastVerdict() + ")";
    } else if (d.overdueSince() != null) {
      outcome = Outcome.INCONCLUSIVE;
      actual = "no socket inventory since " + d.lastInventoryAt() + ": the NE stopped reporting"
          + " (overdue since " + d.overdueSince() + "), so what listens now is not known";
    } else if (InventoryVerdict.PASS.equals(d.lastVerdict())) {
      outcome = Outcome.PASS;
      actual = "last inventory at " + d.lastInventoryAt() + " judged PASS against policy"
          + " version " + policy.version() + ": only declared ports listen";
    } else {
      outcome = Outcome.INCONCLUSIVE;
      actual = "last inventory at " + d.lastInventoryAt() + " judged " + d.lastVerdict()
          + " (incomplete, or a port could not be decided)";
    }
    List<String> procedure = new ArrayList<>(List.of(
        "Read the NE's last socket inventory, as its agent reported it, and the port drift"
            + " findings the server opened and resolved"));
    if (policy != null) {
      procedure.add("Judge it against the hardening policy of NE type " + d.neType()
          + ", version " + policy.version() + " (SHA-256 " + policy.sha256() + "); declared:");
      procedure.add("  " + (policy.declared().isEmpty() ? "(no port)"
          : String.join(", ", policy.declared())));
    }
    return new TestCase("TC-HRD-" + d.deviceId(), List.of("HRD-1", "HRD-2", "HRD-4", "HRD-6"),
        "only the declared ports listen on NE " + d.deviceId() + " (" + d.neType() + ")",
        outcome, "3GPP TS 33.117 §4.3.2.1 (no unnecessary services)",
        "Verify that NE " + d.deviceId() + " opens only the ports its NE type's policy declares"
            + " and none of the forbidden services.",
        procedure, "Every listening socket is declared by the policy; no finding is open.",
        actual, details);
  }

  private static String finding(DriftFinding f) {
    return f.port().protocol() + "/" + f.port().port() + " on " + f.port().address() + " "
        + f.kind() + (f.rule() == null ? "" : " (rule " + f.rule() + ")")
        + (f.process() == null ? "" : ", process " + f.process()) + ", opened at "
        + f.openedAt() + " under policy version " + f.policyVersion()
        + (f.detail() == null ? "" : ": " + f.detail());
  }
}
