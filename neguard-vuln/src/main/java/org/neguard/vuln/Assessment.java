package org.neguard.vuln;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The result of matching an {@link Inventory} against a {@link VulnDb}: the findings, most
 * urgent first (reachable before dormant, then by severity, then by id), and what they rest on,
 * for the evidence.
 *
 * @param findings the findings, suppressed ones (VEX) included
 * @param feeds the feeds of the database
 * @param method how matching was done, one paragraph for the evidence
 * @param components how many components were assessed
 * @param assessed when
 * @param notAssessed the components that could not be assessed, each with why (never a pass)
 */
public record Assessment(List<Finding> findings, List<FeedInfo> feeds, String method,
    int components, Instant assessed, List<NotAssessed> notAssessed) {
  public Assessment {
    findings = List.copyOf(findings);
    feeds = List.copyOf(feeds);
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(assessed, "assessed");
    notAssessed = List.copyOf(notAssessed);
  }

  /** An assessment in which every component could be assessed. */
  public Assessment(List<Finding> findings, List<FeedInfo> feeds, String method,
      int components, Instant assessed) {
    this(findings, feeds, method, components, assessed, List.of());
  }

  /**
   * A component that could not be assessed: its ecosystem has no version rules here, its
   * version is not one of its ecosystem, or an advisory for it cannot be evaluated. It is no
   * pass: reports list it, and a gate that must be sure treats it as a finding of unknown
   * severity.
   *
   * @param component the component
   * @param reason why, naming the ecosystem, version or advisory
   */
  public record NotAssessed(Component component, String reason) {
    public NotAssessed {
      Objects.requireNonNull(component, "component");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Whether every component was assessed (nothing in {@link #notAssessed()}). */
  public boolean complete() {
    return notAssessed.isEmpty();
  }

  /** The findings no VEX statement suppresses that reach {@code threshold}. */
  public List<Finding> failing(Severity threshold) {
    return findings.stream().filter(f -> !f.suppressed() && f.severity().reaches(threshold))
        .toList();
  }
}
