package org.neguard.vuln;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Matches installed Debian packages against the distribution's own advisories: by source
 * package and by the source version, with Debian's version rules, so that a fix Debian
 * backported into a revision ({@code 2:2.4-2+deb12u3}) counts as a fix, which a match on the
 * upstream version ({@code 2.4}) would miss.
 *
 * <p>Stateless and thread-safe.
 */
public final class DebianMatcher {
  private DebianMatcher() {}

  /**
   * A vulnerable installed package.
   *
   * @param pkg the binary package installed
   * @param advisory the advisory
   * @param fixedIn the first fixed version above the installed one, if the advisory names one
   */
  public record Finding(DpkgPackage pkg, Advisory advisory, Optional<DebianVersion> fixedIn) {}

  /**
   * The findings for {@code installed} in {@code ecosystem} (for example {@code Debian:12}),
   * sorted by package then advisory id.
   *
   * @throws IllegalArgumentException if an advisory's version is not a Debian version (the
   *     feed is wrong: nothing is reported rather than something wrong)
   */
  public static List<Finding> match(List<DpkgPackage> installed, AdvisoryIndex index,
      String ecosystem) {
    List<Finding> out = new ArrayList<>();
    for (DpkgPackage p : installed) {
      for (Advisory a : index.affecting(ecosystem, p.source())) {
        for (Advisory.Affected af : a.affected()) {
          if (af.ecosystem().equals(ecosystem) && af.name().equals(p.source())) {
            Optional<Optional<DebianVersion>> hit = affects(af, p.sourceVersion());
            if (hit.isPresent()) {
              out.add(new Finding(p, a, hit.get()));
              break;
            }
          }
        }
      }
    }
    out.sort(Comparator.comparing((Finding f) -> f.pkg().name())
        .thenComparing(f -> f.advisory().id()));
    return List.copyOf(out);
  }

  /**
   * Whether {@code v} is affected (OSV's range evaluation in Debian version order, {@link
   * OsvRanges}), with the first fixed version above {@code v} when it is.
   */
  static Optional<Optional<DebianVersion>> affects(Advisory.Affected af, DebianVersion v) {
    return OsvRanges.affects(af, VersionScheme.DEBIAN, v.toString())
        .map(fixed -> fixed.map(DebianVersion::parse));
  }
}
