package org.neguard.vuln;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.verdict.RefusalException;

/**
 * Matches an inventory against the database.
 *
 * <ul>
 *   <li>A component of an ecosystem with version rules ({@link VersionScheme}) is matched
 *       against that ecosystem's OSV advisories only, in its version order: for a Debian
 *       package the distribution's advisories by source package, so fixes backported into a
 *       revision count. Its CPE, if any, is not used: NVD's upstream version ranges would
 *       report exactly those backported fixes again.
 *   <li>A product known only by its CPE (ecosystem {@code CPE}, an ecosystem without rules here
 *       that carries a CPE, a remotely identified service) is matched against NVD's
 *       configurations ({@link CpeMatcher}); an exposure whose executable belongs to an
 *       inventory component assessed by its ecosystem is not matched again by its CPE.
 *   <li>A finding without a CVSS vector of its own takes NVD's best metric for its CVE id.
 *   <li>Whatever cannot be judged (no version rules and no CPE, a version that is not one, an
 *       advisory or NVD configuration that cannot be evaluated) is listed as not assessed,
 *       never passed.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
final class InventoryMatcher {
  static final String METHOD = "each component against the advisories of its own ecosystem"
      + " (OSV ECOSYSTEM and SEMVER ranges), versions compared by the ecosystem's rules: Debian"
      + " packages by source package and dpkg version order (so fixes backported into a Debian"
      + " revision count), rpm packages (AlmaLinux, Rocky Linux, Red Hat, openSUSE, SUSE,"
      + " Mageia) by binary and by source rpm name in rpm's version order (rpmvercmp, epoch,"
      + " version, release), a RHEL host against every Red Hat stream of its release (main"
      + " streams of its major, extended-support streams of its minor; affected if any says"
      + " so, fixed in the highest fix they name), npm/Go/crates.io by semver, Maven by Maven's ComparableVersion, PyPI"
      + " by PEP 440; products known only by a CPE (remote service identification) against NVD"
      + " configurations; severity from the advisory's CVSS v3 or v4.0 vector (score computed"
      + " from it), else NVD's best metric for the CVE; components that could not be judged are listed as not assessed";

  /** At most this many CVE ids are named in one not-assessed reason. */
  private static final int MAX_NAMED = 5;

  private InventoryMatcher() {}

  static Assessment assess(AdvisoryIndex index, NvdIndex nvd, List<FeedInfo> feeds,
      Inventory inventory) {
    List<Finding> findings = new ArrayList<>();
    List<Assessment.NotAssessed> notAssessed = new ArrayList<>();
    Set<String> byEcosystem = new HashSet<>();
    // versions parsed once per assessment: linux's thousands of advisories name a few hundred
    // uploads, and every installed package of one source shares its advisories
    java.util.Map<VersionScheme, java.util.Map<String, Comparable<?>>> caches =
        new java.util.EnumMap<>(VersionScheme.class);
    for (Component c : inventory.components()) {
      List<Exposure> through = inventory.exposures().stream()
          .filter(e -> e.component().filter(c.name()::equals).isPresent()).toList();
      Optional<VersionScheme> scheme = VersionScheme.forEcosystem(c.ecosystem());
      if (scheme.isEmpty()) {
        if (c.cpe().isPresent()) {
          matchCpe(nvd, c, c.cpe().get(), through, findings, notAssessed);
        } else {
          notAssessed.add(new Assessment.NotAssessed(c, "no version rules for ecosystem "
              + c.ecosystem() + " and no CPE"));
        }
        continue;
      }
      if (c.ecosystem().equals("Debian") || c.ecosystem().equals("Ubuntu")) {
        // advisories are per release (Debian:12): with none known, nothing would match
        notAssessed.add(new Assessment.NotAssessed(c, "no " + c.ecosystem() + " release known"
            + " (a package URL needs its distro qualifier, e.g. distro=debian-12)"));
        continue;
      }
      if (scheme.get() == VersionScheme.RPM && !c.ecosystem().contains(":")) {
        notAssessed.add(new Assessment.NotAssessed(c, "no " + c.ecosystem() + " release known"
            + " (its advisories are per release, e.g. " + c.ecosystem() + ":9)"));
        continue;
      }
      String version = c.matchVersion();
      try {
        scheme.get().parse(version);
        if (scheme.get() == VersionScheme.RPM) {
          scheme.get().parse(c.version()); // rpm's binary version is matched too
        }
      } catch (IllegalArgumentException e) {
        notAssessed.add(new Assessment.NotAssessed(c, e.getMessage()));
        continue;
      }
      byEcosystem.add(c.name());
      Set<String> seen = new HashSet<>();
      Optional<RedHatStreams.Host> rhel = RedHatStreams.host(c.ecosystem());
      if (rhel.isPresent()) {
        // a RHEL host: every stream of its release, binary and source rpm names alike
        java.util.Map<String, Comparable<?>> cache = caches.computeIfAbsent(VersionScheme.RPM,
            x -> new java.util.HashMap<>());
        matchRedHat(index, nvd, cache, c, rhel.get(), c.name(), c.version(), "rpm-package",
            seen, through, findings, notAssessed);
        if (!c.matchName().equals(c.name())) {
          matchRedHat(index, nvd, cache, c, rhel.get(), c.matchName(), version, "source-rpm",
              seen, through, findings, notAssessed);
        }
      } else if (scheme.get() == VersionScheme.RPM) {
        // rpm distributions' records name binary rpms (AlmaLinux, Rocky Linux, Red Hat) or
        // source rpms (openSUSE, SUSE, Mageia, and Red Hat too): both are looked up, each
        // with its own version, an advisory reported once (docs/VULNERABILITIES.md)
        matchOsv(index, nvd, caches, c, scheme.get(), c.name(), c.version(), "rpm-package",
            seen, through, findings, notAssessed);
        if (!c.matchName().equals(c.name())) {
          matchOsv(index, nvd, caches, c, scheme.get(), c.matchName(), version, "source-rpm",
              seen, through, findings, notAssessed);
        }
      } else {
        matchOsv(index, nvd, caches, c, scheme.get(), c.matchName(), version,
            scheme.get() == VersionScheme.DEBIAN ? "source-package" : "purl", seen, through,
            findings, notAssessed);
      }
    }
    for (Exposure e : inventory.exposures()) {
      if (e.cpe().isEmpty() || e.component().filter(byEcosystem::contains).isPresent()) {
        continue;
      }
      Component product;
      try {
        Cpe cpe = Cpe.parse(e.cpe().get());
        product = new Component("CPE", cpe.vendor() + ":" + cpe.product(), cpe.version(), "",
            Optional.empty(), e.cpe());
      } catch (RefusalException x) {
        notAssessed.add(new Assessment.NotAssessed(new Component("CPE", e.cpe().get(), "", "",
            Optional.empty(), e.cpe()), e.label() + ": " + x.getMessage()));
        continue;
      }
      matchCpe(nvd, product, e.cpe().get(), List.of(e), findings, notAssessed);
    }
    findings.sort(ORDER);
    return new Assessment(findings, feeds, METHOD, inventory.components().size(), Instant.now(),
        notAssessed);
  }

  /**
   * The advisories naming {@code name} in {@code c}'s ecosystem that affect {@code version},
   * each of those not in {@code seen} a finding matched by {@code matchedBy}.
   */
  private static void matchOsv(AdvisoryIndex index, NvdIndex nvd,
      java.util.Map<VersionScheme, java.util.Map<String, Comparable<?>>> caches, Component c,
      VersionScheme scheme, String name, String version, String matchedBy, Set<String> seen,
      List<Exposure> through, List<Finding> findings, List<Assessment.NotAssessed> notAssessed) {
    String key = AdvisoryIndex.key(c.ecosystem(), name);
    java.util.Map<String, Comparable<?>> cache = caches.computeIfAbsent(scheme,
        x -> new java.util.HashMap<>());
    for (Advisory a : index.affecting(c.ecosystem(), name)) {
      if (seen.contains(a.id())) {
        continue;
      }
      for (Advisory.Affected af : a.affected()) {
        if (!AdvisoryIndex.key(af.ecosystem(), af.name()).equals(key)) {
          continue;
        }
        Optional<Optional<String>> hit;
        try {
          hit = OsvRanges.affects(af, scheme, version, v -> cache.computeIfAbsent(v,
              scheme::parse));
        } catch (IllegalArgumentException e) {
          notAssessed.add(new Assessment.NotAssessed(c, a.id() + " cannot be evaluated: "
              + e.getMessage()));
          break;
        }
        if (hit.isPresent()) {
          Optional<Cvss> cvss = cvss(a, nvd);
          findings.add(new Finding(a.id(), a.cves(), a.summary(),
              cvss.map(Cvss::severity).orElse(Severity.UNKNOWN), cvss, c, af.describe(),
              hit.get(), through, matchedBy, Optional.empty()));
          seen.add(a.id());
          break;
        }
      }
    }
  }

  /**
   * The advisories naming {@code name} in a Red Hat stream that applies to {@code host}
   * ({@link RedHatStreams}), each of those not in {@code seen} a finding when any applying
   * stream says {@code version} is affected, whatever the others say (a host may follow any of
   * them: os-release does not tell which). Its fixed version is the highest that those streams
   * name, so that updating to it leaves none of them affected; none when one of them names no
   * fix. A stream of RHEL whose release cannot be read, in an advisory no stream of which says
   * affected, makes the component not assessed.
   */
  private static void matchRedHat(AdvisoryIndex index, NvdIndex nvd,
      java.util.Map<String, Comparable<?>> cache, Component c, RedHatStreams.Host host,
      String name, String version, String matchedBy, Set<String> seen, List<Exposure> through,
      List<Finding> findings, List<Assessment.NotAssessed> notAssessed) {
    VersionScheme rpm = VersionScheme.RPM;
    java.util.function.Function<String, Comparable<?>> parse = v -> cache.computeIfAbsent(v,
        rpm::parse);
    for (Advisory a : index.affecting(RedHatStreams.FAMILY, name)) {
      if (seen.contains(a.id())) {
        continue;
      }
      List<String> affected = new ArrayList<>();
      Optional<String> highest = Optional.empty();
      boolean unfixed = false;
      String unknown = null;
      for (Advisory.Affected af : a.affected()) {
        if (!af.name().equals(name)) {
          continue;
        }
        RedHatStreams.Applies applies = RedHatStreams.applies(af.ecosystem(), host);
        if (applies == RedHatStreams.Applies.NO) {
          continue;
        }
        if (applies == RedHatStreams.Applies.UNKNOWN) {
          unknown = "names the stream '" + af.ecosystem() + "', whose release cannot be read:"
              + " whether it applies to " + host + " is unknown";
          continue;
        }
        Optional<Optional<String>> hit;
        try {
          hit = OsvRanges.affects(af, rpm, version, parse);
        } catch (IllegalArgumentException e) {
          unknown = "cannot be evaluated in " + af.ecosystem() + ": " + e.getMessage();
          continue;
        }
        if (hit.isPresent()) {
          affected.add(af.ecosystem() + " " + af.describe());
          if (hit.get().isEmpty()) {
            unfixed = true;
          } else if (highest.isEmpty() || rpm.order().compare(parse.apply(hit.get().get()),
              parse.apply(highest.get())) > 0) {
            highest = hit.get();
          }
        }
      }
      if (!affected.isEmpty()) {
        Optional<Cvss> cvss = cvss(a, nvd);
        findings.add(new Finding(a.id(), a.cves(), a.summary(),
            cvss.map(Cvss::severity).orElse(Severity.UNKNOWN), cvss, c,
            String.join("; ", affected), unfixed ? Optional.empty() : highest, through,
            matchedBy, Optional.empty()));
        seen.add(a.id());
      } else if (unknown != null) {
        notAssessed.add(new Assessment.NotAssessed(c, a.id() + " " + unknown));
      }
    }
  }

  private static void matchCpe(NvdIndex nvd, Component c, String cpeName,
      List<Exposure> through, List<Finding> findings, List<Assessment.NotAssessed> notAssessed) {
    Cpe product;
    try {
      product = Cpe.parse(cpeName);
    } catch (RefusalException e) {
      notAssessed.add(new Assessment.NotAssessed(c, e.getMessage()));
      return;
    }
    List<String> unjudged = new ArrayList<>();
    String firstReason = "";
    for (NvdCve cve : nvd.naming(product)) {
      CpeMatcher.Match m = CpeMatcher.affects(cve, product);
      switch (m.status()) {
        case AFFECTED -> {
          Optional<Cvss> cvss = cve.bestMetric();
          findings.add(new Finding(cve.id(), List.of(cve.id()), firstLine(cve.description()),
              cvss.map(Cvss::severity).orElse(Severity.UNKNOWN), cvss, c,
              m.matched().map(CpeRange::label).orElse(m.reason()),
              m.matched().flatMap(CpeRange::endExcluding), through, "cpe", Optional.empty()));
        }
        case NOT_ASSESSED -> {
          if (unjudged.isEmpty()) {
            firstReason = m.reason();
          }
          unjudged.add(cve.id());
        }
        default -> { }
      }
    }
    if (!unjudged.isEmpty()) {
      notAssessed.add(new Assessment.NotAssessed(c, unjudged.size() + " NVD record(s) naming "
          + product.vendor() + " " + product.product() + " cannot be evaluated ("
          + String.join(", ", unjudged.subList(0, Math.min(MAX_NAMED, unjudged.size())))
          + (unjudged.size() > MAX_NAMED ? ", ..." : "") + "): " + firstReason));
    }
  }

  private static String firstLine(String s) {
    String line = s.lines().findFirst().orElse("");
    return line.length() > OsvReader.MAX_SUMMARY ? line.substring(0, OsvReader.MAX_SUMMARY - 1)
        + "\u2026" : line;
  }

  /** Reachable before dormant, then the most severe first (unknown last), then by id. */
  static final Comparator<Finding> ORDER = Comparator.comparing((Finding f) -> !f.reachable())
      .thenComparing(Finding::severity, Comparator.reverseOrder())
      .thenComparing(Finding::advisoryId)
      .thenComparing(f -> f.component().name());

  /**
   * The advisory's own CVSS v3 or v4.0 vector with its score computed, else NVD's best metric
   * for the first of its CVE ids NVD grades.
   */
  private static Optional<Cvss> cvss(Advisory a, NvdIndex nvd) {
    Optional<Cvss> own = a.cvss().flatMap(v -> {
      try {
        return Cvss.ofVector(v, a.id());
      } catch (IllegalArgumentException e) {
        // Refused at import; an index imported before v4.0 vectors were checked may hold one:
        // no score from it, so NVD's or none (UNKNOWN, which every threshold counts).
        return Optional.empty();
      }
    });
    if (own.isPresent()) {
      return own;
    }
    for (String cve : a.cves()) {
      Optional<Cvss> m = nvd.cve(cve).flatMap(NvdCve::bestMetric);
      if (m.isPresent()) {
        return m;
      }
    }
    return Optional.empty();
  }
}
