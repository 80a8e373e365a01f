package org.neguard.vuln;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Matches an inventory's components against the advisories of their own ecosystem, in that
 * ecosystem's version order ({@link VersionScheme}). A component that cannot be judged (an
 * ecosystem without version rules here, a version that is not one, an advisory whose range
 * cannot be evaluated) is listed as not assessed, never passed.
 *
 * <p>Stateless and thread-safe.
 */
final class InventoryMatcher {
  static final String METHOD = "each component against the advisories of its own ecosystem"
      + " (OSV ECOSYSTEM and SEMVER ranges), versions compared by the ecosystem's rules: Debian"
      + " packages by source package and dpkg version order (so fixes backported into a Debian"
      + " revision count), npm/Go/crates.io by semver, Maven by Maven's ComparableVersion, PyPI"
      + " by PEP 440; components of other ecosystems are listed as not assessed";

  private InventoryMatcher() {}

  static Assessment assess(AdvisoryIndex index, List<FeedInfo> feeds, Inventory inventory) {
    List<Finding> findings = new ArrayList<>();
    List<Assessment.NotAssessed> notAssessed = new ArrayList<>();
    for (Component c : inventory.components()) {
      Optional<VersionScheme> scheme = VersionScheme.forEcosystem(c.ecosystem());
      if (scheme.isEmpty()) {
        notAssessed.add(new Assessment.NotAssessed(c, "no version rules for ecosystem "
            + c.ecosystem()));
        continue;
      }
      if (c.ecosystem().equals("Debian") || c.ecosystem().equals("Ubuntu")) {
        // advisories are per release (Debian:12): with none known, nothing would match
        notAssessed.add(new Assessment.NotAssessed(c, "no " + c.ecosystem() + " release known"
            + " (a package URL needs its distro qualifier, e.g. distro=debian-12)"));
        continue;
      }
      String version = c.matchVersion();
      try {
        scheme.get().parse(version);
      } catch (IllegalArgumentException e) {
        notAssessed.add(new Assessment.NotAssessed(c, e.getMessage()));
        continue;
      }
      String key = AdvisoryIndex.key(c.ecosystem(), c.matchName());
      List<Exposure> through = inventory.exposures().stream()
          .filter(e -> e.component().filter(c.name()::equals).isPresent()).toList();
      for (Advisory a : index.affecting(c.ecosystem(), c.matchName())) {
        for (Advisory.Affected af : a.affected()) {
          if (!AdvisoryIndex.key(af.ecosystem(), af.name()).equals(key)) {
            continue;
          }
          Optional<Optional<String>> hit;
          try {
            hit = OsvRanges.affects(af, scheme.get(), version);
          } catch (IllegalArgumentException e) {
            notAssessed.add(new Assessment.NotAssessed(c, a.id() + " cannot be evaluated: "
                + e.getMessage()));
            break;
          }
          if (hit.isPresent()) {
            Optional<Cvss> cvss = cvss(a);
            findings.add(new Finding(a.id(), a.cves(), a.summary(),
                cvss.map(Cvss::severity).orElse(Severity.UNKNOWN), cvss, c, af.describe(),
                hit.get(), through, scheme.get() == VersionScheme.DEBIAN ? "source-package"
                    : "purl", Optional.empty()));
            break;
          }
        }
      }
    }
    findings.sort(ORDER);
    return new Assessment(findings, feeds, METHOD, inventory.components().size(), Instant.now(),
        notAssessed);
  }

  /** Reachable before dormant, then the most severe first (unknown last), then by id. */
  static final Comparator<Finding> ORDER = Comparator.comparing((Finding f) -> !f.reachable())
      .thenComparing(Finding::severity, Comparator.reverseOrder())
      .thenComparing(Finding::advisoryId)
      .thenComparing(f -> f.component().name());

  /** The advisory's own CVSS v3 vector, its score computed (a bad vector was refused at import). */
  private static Optional<Cvss> cvss(Advisory a) {
    return a.cvss().flatMap(v -> {
      try {
        return Cvss.ofVector(v, a.id());
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    });
  }
}
