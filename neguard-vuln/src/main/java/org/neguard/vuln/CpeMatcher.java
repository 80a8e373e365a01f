package org.neguard.vuln;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.neguard.vuln.Cpe.Attribute;
import org.neguard.vuln.NvdCve.Configuration;
import org.neguard.vuln.NvdCve.Node;
import org.neguard.vuln.NvdCve.Operator;

/**
 * Whether an NVD record affects a product known by its CPE (a service a remote scan identified,
 * a component an SBOM names). The rules, also in docs/VULNERABILITIES.md:
 *
 * <ul>
 *   <li>A {@code cpeMatch} names the product when part, vendor and product are equal
 *       (case-insensitive), and each other attribute is ANY on either side or equal. Only
 *       {@code vulnerable: true} entries make the product affected; a {@code false} one names
 *       a platform.
 *   <li>Versions are compared in {@link CpeVersion}'s generic order. The product's version is
 *       its version attribute followed by its update attribute when that is a value, so nmap's
 *       {@code cpe:/a:openbsd:openssh:9.2p1} and NVD's {@code openssh:9.2:p1} are one version.
 *       With bounds, the version must lie within them; without, it must equal the criteria's
 *       version (an ANY update in the criteria admits the version's updates: {@code 9.2:*}
 *       contains {@code 9.2p1}, not {@code 9.2.1}).
 *   <li>A node's entries are combined by OR (the common case). An AND configuration (an
 *       application node and a platform node, "X running on Y") is evaluated as running on:
 *       the platform the product runs on cannot be known from its CPE, so a product the
 *       application node names is reported affected, with {@link Match#fullyAssessed()} false
 *       and a reason saying the platform was assumed. Reporting it is the fail-closed side.
 *   <li>Whatever cannot be evaluated is {@link Status#NOT_ASSESSED}, never a pass: a version
 *       that cannot be ordered, a product CPE without a version where one is needed, a
 *       wildcard inside a criteria value, a negated node naming the product, a record NVD has
 *       not analysed (no configurations).
 * </ul>
 *
 * Across configurations: affected by any is affected (fully assessed first); otherwise any not
 * assessed makes the whole not assessed; otherwise not affected.
 */
public final class CpeMatcher {
  private CpeMatcher() {}

  /** The outcome for one CVE and one product. */
  public enum Status {
    AFFECTED, NOT_AFFECTED, NOT_ASSESSED
  }

  /**
   * @param status the outcome
   * @param fullyAssessed false when AFFECTED rests on an assumption (the platform of an AND
   *     configuration) and always for NOT_ASSESSED
   * @param matched the {@code cpeMatch} that names the product, when AFFECTED
   * @param reason one sentence saying why, for reports
   */
  public record Match(Status status, boolean fullyAssessed, Optional<CpeRange> matched,
      String reason) {
    public Match {
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(matched, "matched");
      Objects.requireNonNull(reason, "reason");
    }

    public boolean affected() {
      return status == Status.AFFECTED;
    }
  }

  /** Whether {@code cve} affects {@code product}. */
  public static Match affects(NvdCve cve, Cpe product) {
    for (Attribute a : new Attribute[] {Attribute.PART, Attribute.VENDOR, Attribute.PRODUCT}) {
      if (product.isAny(a) || product.isNa(a) || product.hasWildcard(a)) {
        return notAssessed(cve.id() + ": the product " + product + " names no "
            + a.name().toLowerCase(java.util.Locale.ROOT) + ", so no CVE can be matched to it");
      }
    }
    if (cve.tree().isEmpty()) {
      return notAssessed(cve.id() + ": NVD gives no configurations (not analysed yet), so"
          + " which products it affects is not known");
    }
    List<Match> results = new ArrayList<>();
    for (Configuration c : cve.tree()) {
      results.add(configuration(c, product));
    }
    for (Match m : results) {
      if (m.affected() && m.fullyAssessed()) {
        return withId(cve.id(), m);
      }
    }
    for (Match m : results) {
      if (m.affected()) {
        return withId(cve.id(), m);
      }
    }
    for (Match m : results) {
      if (m.status() == Status.NOT_ASSESSED) {
        return withId(cve.id(), m);
      }
    }
    return new Match(Status.NOT_AFFECTED, true, Optional.empty(), cve.id() + ": no"
        + " configuration names " + product.vendor() + " " + product.product() + " "
        + product.version() + " as vulnerable");
  }

  private static Match configuration(Configuration c, Cpe product) {
    List<NodeResult> nodes = new ArrayList<>();
    for (Node n : c.nodes()) {
      nodes.add(node(n, product));
    }
    if (c.negate()) {
      // A negated configuration ("all but ...") has no meaning NVD documents; never a pass.
      return nodes.stream().anyMatch(NodeResult::namesProduct)
          ? notAssessed("a negated configuration names " + product.product())
          : notAffected("");
    }
    boolean and = c.operator() == Operator.AND && c.nodes().size() > 1;
    for (NodeResult r : nodes) {
      if (r.match().affected()) {
        if (and) {
          return new Match(Status.AFFECTED, false, r.match().matched(), r.match().reason()
              + "; the configuration also requires a platform (AND), which a CPE cannot show:"
              + " assumed present, not fully assessed");
        }
        return r.match();
      }
    }
    for (NodeResult r : nodes) {
      if (r.match().status() == Status.NOT_ASSESSED) {
        return r.match();
      }
    }
    return notAffected("");
  }

  private record NodeResult(Match match, boolean namesProduct) {}

  private static NodeResult node(Node n, Cpe product) {
    Match best = notAffected("");
    boolean names = false;
    for (CpeRange r : n.cpeMatch()) {
      Leaf leaf = leaf(r, product);
      names |= leaf.namesProduct();
      if (!r.vulnerable() || leaf.match().status() == Status.NOT_AFFECTED) {
        continue; // a platform entry makes nothing vulnerable
      }
      if (leaf.match().affected()) {
        if (!best.affected()) {
          best = leaf.match();
        }
      } else if (best.status() == Status.NOT_AFFECTED) {
        best = leaf.match();
      }
    }
    if (n.negate() && names) {
      return new NodeResult(notAssessed("a negated node names " + product.product()
          + ", which this matcher does not evaluate"), true);
    }
    if (n.negate()) {
      return new NodeResult(notAffected(""), false);
    }
    if (best.affected() && n.operator() == Operator.AND && n.cpeMatch().size() > 1) {
      best = new Match(Status.AFFECTED, false, best.matched(), best.reason() + "; the node"
          + " also requires its other entries (AND): assumed present, not fully assessed");
    }
    return new NodeResult(best, names);
  }

  private record Leaf(Match match, boolean namesProduct) {}

  private static Leaf leaf(CpeRange r, Cpe product) {
    Cpe c = r.cpe();
    String label = r.label();
    Attribute[] names = {Attribute.PART, Attribute.VENDOR, Attribute.PRODUCT};
    for (Attribute a : names) {
      if (!c.isAny(a) && !c.hasWildcard(a) && !c.wfn(a).equals(product.wfn(a))) {
        return new Leaf(notAffected(""), false); // another product
      }
    }
    for (Attribute a : names) {
      // Only when the rest names the product: a pattern (micro*) this matcher does not expand
      // must not turn every unrelated product into "not assessed".
      if (c.hasWildcard(a)) {
        return new Leaf(notAssessed("the criteria " + label + " has a wildcard in its "
            + a.name().toLowerCase(java.util.Locale.ROOT)), false);
      }
    }
    // Named: from here a doubt is "not assessed".
    for (Attribute a : new Attribute[] {Attribute.EDITION, Attribute.LANGUAGE,
        Attribute.SW_EDITION, Attribute.TARGET_SW, Attribute.TARGET_HW, Attribute.OTHER}) {
      if (c.isAny(a) || product.isAny(a)) {
        continue; // any on either side: the product is not known to differ
      }
      if (c.hasWildcard(a) || product.hasWildcard(a)) {
        return new Leaf(notAssessed("the criteria " + label + " or the product " + product
            + " has a wildcard in " + a.name().toLowerCase(java.util.Locale.ROOT)), true);
      }
      if (!c.wfn(a).equals(product.wfn(a))) {
        return new Leaf(notAffected(""), true);
      }
    }
    return new Leaf(version(r, product, label), true);
  }

  private static Match version(CpeRange r, Cpe p, String label) {
    Cpe c = r.cpe();
    if (p.hasWildcard(Attribute.VERSION) || p.hasWildcard(Attribute.UPDATE)
        || c.hasWildcard(Attribute.VERSION) || c.hasWildcard(Attribute.UPDATE)) {
      return notAssessed("a wildcard in the version of " + label + " or of " + p);
    }
    boolean anyVersion = c.isAny(Attribute.VERSION) && c.isAny(Attribute.UPDATE) && !r.isRange();
    if (anyVersion) {
      return affected(r, p + " is named by " + label + " (all versions)");
    }
    if (c.isNa(Attribute.VERSION) && !r.isRange()) {
      // NA: a product without versions (hardware models mostly). A product CPE also without
      // one, or not saying, is that product; one with a version is another (NISTIR 7696:
      // NA against a value is disjoint).
      return p.isNa(Attribute.VERSION) || p.isAny(Attribute.VERSION)
          ? affected(r, p + " is named by " + label + " (a product without versions)")
          : notAffected("");
    }
    if (p.isAny(Attribute.VERSION) || p.isNa(Attribute.VERSION)) {
      return notAssessed("the product " + p + " gives no version, and " + label
          + " affects only some");
    }
    String pv = p.version() + (isValue(p, Attribute.UPDATE) ? p.update() : "");
    if (r.isRange()) {
      if (!c.isAny(Attribute.UPDATE)) {
        return notAssessed(label + " bounds versions and names an update: not evaluated");
      }
      if (!c.isAny(Attribute.VERSION)) {
        Match exact = exact(r, pv, label);
        if (!exact.affected()) {
          return exact;
        }
      }
      for (Bound b : bounds(r)) {
        OptionalInt cmp = CpeVersion.compare(pv, b.version());
        if (cmp.isEmpty()) {
          return notAssessed("version " + pv + " cannot be ordered against " + b.version()
              + " of " + label + " (CpeVersion's order)");
        }
        if (!b.admits(cmp.getAsInt())) {
          return notAffected(pv + " is outside " + label);
        }
      }
      return affected(r, p.vendor() + " " + p.product() + " " + pv + " is within " + label);
    }
    return exact(r, pv, label);
  }

  // The criteria names one version (its update an ANY, NA or a value).
  private static Match exact(CpeRange r, String pv, String label) {
    Cpe c = r.cpe();
    if (c.isAny(Attribute.VERSION)) {
      return notAssessed(label + " names an update for every version: not evaluated");
    }
    String cv = c.version() + (isValue(c, Attribute.UPDATE) ? c.update() : "");
    if (c.isAny(Attribute.UPDATE)) {
      Optional<Boolean> u = CpeVersion.isUpdateOf(pv, cv);
      if (u.isEmpty()) {
        return pv.equalsIgnoreCase(cv) ? affected(r, pv + " is " + label)
            : notAssessed("version " + pv + " cannot be ordered against " + cv + " of "
                + label + " (CpeVersion's order)");
      }
      return u.get() ? affected(r, pv + " is " + label + " or an update of it")
          : notAffected("");
    }
    OptionalInt cmp = CpeVersion.compare(pv, cv);
    if (cmp.isEmpty()) {
      return pv.equalsIgnoreCase(cv) ? affected(r, pv + " is " + label)
          : notAssessed("version " + pv + " cannot be ordered against " + cv + " of " + label
              + " (CpeVersion's order)");
    }
    return cmp.getAsInt() == 0 ? affected(r, pv + " is " + label) : notAffected("");
  }

  private static Match withId(String id, Match m) {
    return new Match(m.status(), m.fullyAssessed(), m.matched(), id + ": " + m.reason());
  }

  private record Bound(String version, boolean lower, boolean inclusive) {
    boolean admits(int cmp) {
      return lower ? (inclusive ? cmp >= 0 : cmp > 0) : (inclusive ? cmp <= 0 : cmp < 0);
    }
  }

  private static List<Bound> bounds(CpeRange r) {
    List<Bound> out = new ArrayList<>(2);
    r.startIncluding().ifPresent(v -> out.add(new Bound(v, true, true)));
    r.startExcluding().ifPresent(v -> out.add(new Bound(v, true, false)));
    r.endIncluding().ifPresent(v -> out.add(new Bound(v, false, true)));
    r.endExcluding().ifPresent(v -> out.add(new Bound(v, false, false)));
    return out;
  }

  private static boolean isValue(Cpe c, Attribute a) {
    return !c.isAny(a) && !c.isNa(a);
  }

  private static Match affected(CpeRange r, String reason) {
    return new Match(Status.AFFECTED, true, Optional.of(r), reason);
  }

  private static Match notAffected(String reason) {
    return new Match(Status.NOT_AFFECTED, true, Optional.empty(), reason);
  }

  private static Match notAssessed(String reason) {
    return new Match(Status.NOT_ASSESSED, false, Optional.empty(), reason);
  }
}
