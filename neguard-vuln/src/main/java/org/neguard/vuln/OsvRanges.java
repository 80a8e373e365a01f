package org.neguard.vuln;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * OSV's range evaluation (ossf.github.io/osv-schema, "Evaluation"), in an ecosystem's version
 * order: each range on its own, its events sorted by version; {@code introduced} opens,
 * {@code fixed} closes at its version, {@code last_affected} closes after it; {@code 0} is below
 * every version. A version listed in {@code versions} is affected whatever the ranges say.
 *
 * <p>Stateless and thread-safe.
 */
final class OsvRanges {
  private OsvRanges() {}

  /**
   * Whether {@code text} (a version of {@code scheme}) is affected, with the first fixed
   * version above it when it is.
   *
   * @return empty when not affected; else the lowest {@code fixed} above the version, if any
   * @throws IllegalArgumentException when a version of the advisory is not one in its scheme
   *     (the caller reports the component "not assessed": an advisory it cannot evaluate is no
   *     pass)
   */
  static Optional<Optional<String>> affects(Advisory.Affected af, VersionScheme scheme,
      String text) {
    return affects(af, scheme, text, scheme::parse);
  }

  /**
   * {@link #affects(Advisory.Affected, VersionScheme, String)} with {@code parse} for the
   * versions of {@code scheme} (a cache: one assessment compares the same fixed versions many
   * times, linux's thousands of advisories name a few hundred uploads).
   */
  static Optional<Optional<String>> affects(Advisory.Affected af, VersionScheme scheme,
      String text, java.util.function.Function<String, Comparable<?>> parse) {
    Comparator<Comparable<?>> order = scheme.order();
    Comparable<?> version = parse.apply(text);
    boolean hit = false;
    for (String listed : af.versions()) {
      if (order.compare(parse.apply(listed), version) == 0) {
        hit = true;
        break;
      }
    }
    List<String> fixes = new ArrayList<>();
    for (Advisory.Range r : af.ranges()) {
      VersionScheme s = r.type().equals("SEMVER") ? VersionScheme.SEMVER : scheme;
      java.util.function.Function<String, Comparable<?>> rangeParse = s == scheme ? parse
          : s::parse;
      // a SEMVER range in an ecosystem of another order: the version must be semver too, or
      // the range cannot be evaluated (IllegalArgumentException: not assessed)
      Comparable<?> v = s == scheme ? version : s.parse(text);
      List<Parsed> events = new ArrayList<>();
      for (Advisory.Event e : r.events()) {
        events.add(new Parsed(e, e.version().equals("0") ? null
            : rangeParse.apply(e.version())));
      }
      events.sort((a, b) -> a.key == null ? (b.key == null ? 0 : -1)
          : b.key == null ? 1 : order.compare(a.key, b.key));
      boolean affected = false;
      for (Parsed p : events) {
        int c = p.key == null ? -1 : order.compare(p.key, v);
        if (p.event.kind().equals("fixed") && c > 0) {
          fixes.add(p.event.version());
        }
        if (c > 0) {
          continue;
        }
        switch (p.event.kind()) {
          case "introduced" -> affected = true;
          case "fixed" -> affected = false;
          case "last_affected" -> affected = c == 0 && affected;
          default -> { } // limit: used with GIT ranges, which are not kept
        }
      }
      hit |= affected;
    }
    if (!hit) {
      return Optional.empty();
    }
    return Optional.of(fixes.stream().min((a, b) -> order.compare(parse.apply(a),
        parse.apply(b))));
  }

  private record Parsed(Advisory.Event event, Comparable<?> key) {}
}
