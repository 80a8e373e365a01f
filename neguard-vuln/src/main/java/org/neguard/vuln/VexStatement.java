package org.neguard.vuln;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One reasoned decision about a vulnerability in a product (CycloneDX VEX or OpenVEX). A
 * {@code NOT_AFFECTED} statement must carry a justification or an impact statement: a bare
 * "not affected" is refused when read.
 *
 * @param vulnerability the CVE or advisory id it is about
 * @param products the products (package URLs) it covers; empty for "this package as a whole"
 * @param status the decision
 * @param justification the machine-readable justification ({@code vulnerable_code_not_present},
 *     {@code code_not_reachable}...), when given
 * @param impactStatement the human explanation, when given
 * @param author who made the decision
 * @param timestamp when
 * @param source the document it came from (a file name)
 */
public record VexStatement(String vulnerability, java.util.List<String> products, Status status,
    Optional<String> justification, Optional<String> impactStatement, String author,
    Instant timestamp, String source) {
  public VexStatement {
    Objects.requireNonNull(vulnerability, "vulnerability");
    products = java.util.List.copyOf(products);
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(justification, "justification");
    Objects.requireNonNull(impactStatement, "impactStatement");
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(source, "source");
  }

  public enum Status { NOT_AFFECTED, AFFECTED, FIXED, UNDER_INVESTIGATION }
}
