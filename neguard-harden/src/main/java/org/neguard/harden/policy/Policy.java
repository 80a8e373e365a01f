package org.neguard.harden.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one NE type may have open (the declared list, HRD-2) and what it must not (the baseline
 * plus the operator's extensions, HRD-5, less reasoned waivers). Built only by {@link
 * PolicyParser}, which guarantees the invariants listed there.
 *
 * <p>Immutable and thread-safe.
 *
 * @param neType the NE type ({@code mme}, {@code henb})
 * @param description free text, or null
 * @param source where the policy was read from (a file name), for the evidence
 * @param sha256 SHA-256 of the policy's bytes, lower-case hex, for the evidence
 * @param allowed the declared ports
 * @param extensions the operator's additions to the forbidden list
 * @param waivers the waived baseline rules or ports
 * @param vulnerabilityWaivers the accepted known vulnerabilities (HRD-3), each with a reason
 */
public record Policy(
    String neType,
    String description,
    String source,
    String sha256,
    List<AllowedPort> allowed,
    List<ForbiddenRule> extensions,
    List<Waiver> waivers,
    List<VulnerabilityWaiver> vulnerabilityWaivers) {
  /** A policy without vulnerability waivers (the form before they existed). */
  public Policy(String neType, String description, String source, String sha256,
      List<AllowedPort> allowed, List<ForbiddenRule> extensions, List<Waiver> waivers) {
    this(neType, description, source, sha256, allowed, extensions, waivers, List.of());
  }

  public Policy {
    Objects.requireNonNull(neType, "neType");
    allowed = List.copyOf(allowed);
    extensions = List.copyOf(extensions);
    waivers = List.copyOf(waivers);
    vulnerabilityWaivers = List.copyOf(vulnerabilityWaivers);
  }

  /** The forbidden list in force: the baseline, then the operator's extensions. */
  public List<ForbiddenRule> forbidden() {
    List<ForbiddenRule> all = new ArrayList<>(Baseline.rules());
    all.addAll(extensions);
    return List.copyOf(all);
  }

  /** The declared entry for a port, if any. */
  public Optional<AllowedPort> allowed(PortKey key) {
    return allowed.stream().filter(a -> a.key().equals(key)).findFirst();
  }

  /** The waiver that lifts {@code rule} for {@code key}, if any. */
  public Optional<Waiver> waiver(ForbiddenRule rule, PortKey key) {
    if (rule.origin() != ForbiddenRule.Origin.BASELINE) {
      return Optional.empty();
    }
    return waivers.stream().filter(w -> w.covers(rule.id(), key)).findFirst();
  }

  /** Whether a waiver lifts the whole of {@code rule}. */
  public boolean waivedEntirely(ForbiddenRule rule) {
    return rule.origin() == ForbiddenRule.Origin.BASELINE
        && waivers.stream().anyMatch(w -> w.rule().equals(rule.id()) && w.port() == null);
  }
}
