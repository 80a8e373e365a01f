package org.neguard.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.PackageMatchers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The modules of docs/ARCHITECTURE.md, each known by its packages, with the modules it may use and
 * what it exports. This table is the layout; the rules in {@link LayoutRules} hold the code to it.
 *
 * <p>A module's classes are the classes in its packages, whichever jar carries them: the rules see
 * the product, not the build. Test support (the {@code org.neguard.testing} package of
 * neguard-testing and of the test-jars) is a module that no production code may use.
 *
 * <p>An export is a package (with its subpackages when written {@code pkg..}) or one class of an
 * otherwise internal package: the entry point that hands out only exported types.
 */
enum Module {
  COMMON(
      // evidence: the one evidence model (a test case with its writers) that the hardening, the
      // authorization and the integrity evidence share (its subpackages, the documents judged
      // from a server's records, are EVIDENCE's); html: the one escaper.
      packages(
          "org.neguard.verdict..",
          "org.neguard.measure..",
          "org.neguard.json..",
          "org.neguard.progress..",
          "org.neguard.io..",
          "org.neguard.html..",
          "org.neguard.evidence"),
      allOfIt(),
      none()),
  TESTING(packages("org.neguard.testing.."), exports(), none()),
  PKG(
      packages("org.neguard.pkg..", "org.neguard.sign..", "org.neguard.pki..",
          "org.neguard.scanreport..", "org.neguard.order..", "org.neguard.tuf..",
          "org.neguard.attest.."),
      // Each is used from outside: pkg and sign by the server, the engines and the CLI, scanreport
      // by the engines (they write reports) and the CLI, pki (the demo PKI) by the CLI, order
      // (signed deployment orders) by the server, which signs, and the agent, which verifies;
      // tuf (the TUF repository's metadata, keys and client) by the server, which writes the
      // repository, and the CLI and the agent, which read it.
      allOfIt(),
      using(COMMON)),
  DEMO(packages("org.neguard.demo.."), allOfIt(), using(COMMON)),
  AV(packages("org.neguard.av.."), exports("org.neguard.av"), using(COMMON, PKG)),
  // Vulnerability assessment (issue 16): version rules, package lists, advisory feeds, matching.
  VULN(packages("org.neguard.vuln.."), allOfIt(), using(COMMON)),
  HARDEN(
      packages("org.neguard.harden.."),
      // The observation model, policy, evaluation, probes and evidence are what the CLI drives;
      // of the inventory and the nmap import only the entry points, which hand out observations.
      // ProcNetParser and SocketEntry are public for their tests, not for other modules.
      exports(
          "org.neguard.harden",
          "org.neguard.harden.eval",
          "org.neguard.harden.policy",
          "org.neguard.harden.probe",
          "org.neguard.harden.report",
          // vuln: the vulnerability assessment of an observation (HRD-3's second half), which
          // harden check runs; VULN for the database and matching it drives (issue 16).
          "org.neguard.harden.vuln",
          "org.neguard.harden.inventory.LocalInventory",
          "org.neguard.harden.nmap.NmapXmlImporter"),
      using(COMMON, VULN)),
  API(packages("org.neguard.api.."), allOfIt(), using(COMMON)),
  // The evidence documents judged from a server's records (integrity, hardening, authorization):
  // the CLI reads the records over the API, the console from its services, and both judge and
  // write them with these classes. On the API's records, so not in COMMON, which uses nothing.
  EVIDENCE(
      packages("org.neguard.evidence.integrity..", "org.neguard.evidence.hardening..",
          "org.neguard.evidence.authz..", "org.neguard.evidence.document.."),
      allOfIt(),
      using(COMMON, API)),
  // agent.client: the device side of the agents' API, which `neguard sim agents` drives too.
  // The agent uses of HARDEN only the observation model and the /proc inventory (port drift),
  // which the neguard-inventory jar carries without the probes; AgentClasspathTest holds it there.
  AGENT(packages("org.neguard.agent.."), exports("org.neguard.agent", "org.neguard.agent.client"),
      using(COMMON, PKG, API, HARDEN)),
  SERVER(
      packages("org.neguard.server.."),
      // Only the launcher boundary (NeguardServer, ServerConfig): `neguard server` starts it, and
      // access, auth, web, audit, pkg and every feature to come stay the server's own.
      // console (the operators' web console, issue 18) is one of them: it calls the features'
      // services in-process, as their API controllers do.
      // HARDEN: the hardening policy and the evaluator judge the agents' inventories (port drift).
      // VULN: the NEs' package lists matched against the vulnerability database (issue 16),
      // and the publication gate matches a bundle's SBOM against it.
      // EVIDENCE: the console's Evidence page judges the server's records as `neguard evidence`.
      exports("org.neguard.server"),
      using(COMMON, PKG, API, HARDEN, VULN, EVIDENCE)),
  CLI(packages("org.neguard.cli.."), exports(), using(COMMON, PKG, DEMO, AV, HARDEN, VULN, API, AGENT,
      SERVER, EVIDENCE));

  private final List<String> packages;
  private final List<String> exportedPackages;
  private final List<String> exportedClasses;
  private final Set<Module> uses;

  /** {@code exports} null: all of the module's packages. */
  Module(String[] packages, String[] exports, Module[] uses) {
    this.packages = List.of(packages);
    List<String> exportedPackages = new ArrayList<>();
    List<String> exportedClasses = new ArrayList<>();
    for (String export : exports == null ? packages : exports) {
      String last = export.substring(export.lastIndexOf('.') + 1);
      (!last.isEmpty() && Character.isUpperCase(last.charAt(0)) ? exportedClasses
          : exportedPackages).add(export);
    }
    this.exportedPackages = List.copyOf(exportedPackages);
    this.exportedClasses = List.copyOf(exportedClasses);
    // Not an EnumSet: the enum is not initialized while its constants are constructed.
    this.uses = Set.of(uses);
  }

  /** The modules this one's production code may depend on (not itself). */
  Set<Module> uses() {
    return uses;
  }

  /** The module's classes, by package. */
  DescribedPredicate<JavaClass> classes() {
    return DescribedPredicate.describe(
        "module " + this,
        c -> PackageMatchers.of(packages).test(c.getPackageName()));
  }

  /** The module's classes that other modules may use. */
  DescribedPredicate<JavaClass> exported() {
    return DescribedPredicate.describe(
        "the exports of " + this,
        c -> PackageMatchers.of(exportedPackages).test(c.getPackageName())
            || exportedClasses.stream().anyMatch(
                e -> c.getName().equals(e) || c.getName().startsWith(e + "$")));
  }

  /** The module's classes that stay its own. */
  DescribedPredicate<JavaClass> internal() {
    return DescribedPredicate.describe(
        "internals of " + this, c -> classes().test(c) && !exported().test(c));
  }

  /** Every module's packages: a class of ours outside them belongs to no module. */
  static String[] allPackages() {
    return Arrays.stream(values()).flatMap(m -> m.packages.stream()).toArray(String[]::new);
  }

  private static String[] packages(String... packages) {
    return packages;
  }

  private static String[] exports(String... exports) {
    return exports;
  }

  /** Every package of the module is exported. */
  private static String[] allOfIt() {
    return null;
  }

  private static Module[] using(Module... modules) {
    return modules;
  }

  private static Module[] none() {
    return new Module[0];
  }
}
