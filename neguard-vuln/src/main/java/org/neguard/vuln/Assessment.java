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
 */
public record Assessment(List<Finding> findings, List<FeedInfo> feeds, String method,
    int components, Instant assessed) {
  public Assessment {
    findings = List.copyOf(findings);
    feeds = List.copyOf(feeds);
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(assessed, "assessed");
  }

  /** The findings no VEX statement suppresses that reach {@code threshold}. */
  public List<Finding> failing(Severity threshold) {
    return findings.stream().filter(f -> !f.suppressed() && f.severity().reaches(threshold))
        .toList();
  }
}
