package org.neguard.vuln;

import java.util.Objects;
import java.util.Optional;

/**
 * One NVD {@code cpeMatch}: the products a CVE's configuration names, by a CPE match string
 * ({@code criteria}) and, for a range, its version bounds. At most one start and one end bound;
 * without any, the criteria's own version attribute says which versions (ANY is all of them).
 *
 * @param cpe the criteria ({@code cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*})
 * @param startIncluding {@code versionStartIncluding}
 * @param startExcluding {@code versionStartExcluding}
 * @param endIncluding {@code versionEndIncluding}
 * @param endExcluding {@code versionEndExcluding}
 * @param vulnerable whether the products named are vulnerable ({@code true}) or only the
 *     platform a vulnerable one must run on ({@code false})
 */
public record CpeRange(Cpe cpe, Optional<String> startIncluding, Optional<String> startExcluding,
    Optional<String> endIncluding, Optional<String> endExcluding, boolean vulnerable) {
  public CpeRange {
    Objects.requireNonNull(cpe, "cpe");
    Objects.requireNonNull(startIncluding, "startIncluding");
    Objects.requireNonNull(startExcluding, "startExcluding");
    Objects.requireNonNull(endIncluding, "endIncluding");
    Objects.requireNonNull(endExcluding, "endExcluding");
    // Two lower (or upper) bounds would be read differently by different matchers.
    if (startIncluding.isPresent() && startExcluding.isPresent()) {
      throw new IllegalArgumentException("both versionStartIncluding and versionStartExcluding");
    }
    if (endIncluding.isPresent() && endExcluding.isPresent()) {
      throw new IllegalArgumentException("both versionEndIncluding and versionEndExcluding");
    }
  }

  /** Whether any version bound is given (a range rather than one version). */
  public boolean isRange() {
    return startIncluding.isPresent() || startExcluding.isPresent() || endIncluding.isPresent()
        || endExcluding.isPresent();
  }

  /** {@code cpe:2.3:a:openbsd:openssh:*:... [8.5, 9.8)}, for messages and reports. */
  public String label() {
    if (!isRange()) {
      return cpe.toString();
    }
    return cpe + " " + startIncluding.map(v -> "[" + v).orElse(startExcluding.map(v -> "(" + v)
        .orElse("(")) + ", " + endIncluding.map(v -> v + "]").orElse(endExcluding
        .map(v -> v + ")").orElse(")"));
  }
}
