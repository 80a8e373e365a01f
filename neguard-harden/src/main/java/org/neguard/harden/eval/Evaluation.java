package org.neguard.harden.eval;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.neguard.harden.Observation;
import org.neguard.harden.policy.Policy;
import org.neguard.verdict.Reason;

/**
 * The judgement of one {@link Observation} against one {@link Policy}: a finding per observed
 * port, the declared ports not seen (stale), a verdict per requirement HRD-1..HRD-6 and overall.
 * Plain immutable data: the evidence writer, the CLI and (later) the server's drift alerts read
 * it.
 *
 * @param policy the policy applied
 * @param observation what was judged
 * @param evaluated when
 * @param findings one per observed port, in the observation's order
 * @param stale declared ports not seen open
 * @param requirements HRD-1..HRD-6 in order
 * @param verdict the overall verdict: the worst of the requirements'
 * @param reasons every discrepancy, most serious first; empty exactly when the verdict is PASS
 * @param vulnerabilities the vulnerability assessment's judgement (HRD-3's second half)
 */
public record Evaluation(
    Policy policy,
    Observation observation,
    Instant evaluated,
    List<PortFinding> findings,
    List<StaleEntry> stale,
    List<RequirementResult> requirements,
    Verdict verdict,
    List<Reason> reasons,
    VulnerabilityResult vulnerabilities) {
  public Evaluation {
    Objects.requireNonNull(vulnerabilities, "vulnerabilities");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(observation, "observation");
    Objects.requireNonNull(evaluated, "evaluated");
    Objects.requireNonNull(verdict, "verdict");
    findings = List.copyOf(findings);
    stale = List.copyOf(stale);
    requirements = List.copyOf(requirements);
    reasons = List.copyOf(reasons);
  }

  /** Whether everything tested passed. */
  public boolean passed() {
    return verdict == Verdict.PASS;
  }

  /** The result for one requirement ID. */
  public Optional<RequirementResult> requirement(String id) {
    return requirements.stream().filter(r -> r.id().equals(id)).findFirst();
  }

  /** The findings with a given status. */
  public List<PortFinding> findings(PortStatus status) {
    return findings.stream().filter(f -> f.status() == status).toList();
  }
}
