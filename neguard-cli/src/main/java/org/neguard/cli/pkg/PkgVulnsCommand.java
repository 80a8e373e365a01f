package org.neguard.cli.pkg;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neguard.cli.support.AnchorFileConverter;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Manifest;
import org.neguard.progress.ProgressListener;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Assessment;
import org.neguard.vuln.Component;
import org.neguard.vuln.CycloneDx;
import org.neguard.vuln.FeedInfo;
import org.neguard.vuln.Finding;
import org.neguard.vuln.Severity;
import org.neguard.vuln.Unassessable;
import org.neguard.vuln.Vex;
import org.neguard.vuln.VexReader;
import org.neguard.vuln.VexStatement;
import org.neguard.vuln.VulnDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard pkg vulns}: the known vulnerabilities of what a bundle carries, from the SBOM
 * in the bundle (issue 16), matched against the local vulnerability database.
 */
@Command(
    name = "vulns",
    mixinStandardHelpOptions = true,
    description = {
      "Match the SBOM a bundle carries (neguard/sbom.cdx.json, listed in its signed manifest)"
          + " against the vulnerability database imported with 'neguard vulndb import'.",
      "The SBOM is read through the bundle reader that checks it against the manifest (size"
          + " and SHA-256); with --trust the whole bundle is verified first (signature, chain,"
          + " every file), without it the signature is not checked and the output says so.",
      "Components that cannot be assessed (no package URL, an ecosystem without version"
          + " rules) are judged as the server's publication gate judges them"
          + " (--vuln-unassessable): with --unassessable hold, the default, each is a finding"
          + " of unknown severity, vulnerability NEGUARD-NOT-ASSESSED, that only a VEX"
          + " statement with a justification or impact statement releases; with note they are"
          + " listed and pass.",
      "Exit 0: no finding at or above --fail-on that a VEX statement does not suppress, and"
          + " no component held unassessed; 3: KNOWN_VULNERABILITY for each such finding,"
          + " SCAN_INCOMPLETE for each component held unassessed, SCAN_POLICY for a database"
          + " older than --max-db-age, MALFORMED for a VEX document the server would refuse"
          + " (a 'not affected' without a reason), or the bundle's own refusal; 1: the bundle"
          + " carries no SBOM, or a file cannot be read."
    })
final class PkgVulnsCommand extends BundleCommand {
  @Option(names = "--db", required = true, paramLabel = "DIR",
      description = "The vulnerability database directory ('neguard vulndb import').")
  Path db;

  @Option(names = "--fail-on", paramLabel = "SEVERITY", defaultValue = "critical",
      description = "Fail on unsuppressed findings of this severity or above: low, medium,"
          + " high or critical (default ${DEFAULT-VALUE}, as the server's publication gate)."
          + " A finding no feed grades (UNKNOWN) always counts.")
  String failOn;

  @Option(names = "--vex", paramLabel = "FILE",
      description = "A VEX document (CycloneDX VEX or OpenVEX JSON): a 'not affected'"
          + " statement with its reason suppresses the finding it names, which stays listed.")
  Path vex;

  @Option(names = "--max-db-age", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationConverter.class,
      description = "Refuse a database whose newest feed record is older than this (default"
          + " ${DEFAULT-VALUE}): an old database misses every advisory published since.")
  Duration maxDbAge;

  @Option(names = "--unassessable", paramLabel = "hold|note",
      description = "What a component that cannot be assessed does, as the server's"
          + " --vuln-unassessable: hold (the default) fails SCAN_INCOMPLETE naming it until a"
          + " VEX statement for NEGUARD-NOT-ASSESSED (no product: every such component; a"
          + " package URL: that one) with a justification releases it; note lists it and"
          + " passes.")
  String unassessable;

  /** The flag before --unassessable existed; kept so that scripts using it keep working. */
  @Option(names = "--allow-not-assessed", hidden = true,
      description = "Deprecated: the same as --unassessable note.")
  boolean allowNotAssessed;

  @Option(names = "--trust", paramLabel = "[VENDOR=]CA.pem|DIR",
      converter = AnchorFileConverter.class,
      description = "Verify the bundle in full against these trust anchors first. Repeatable."
          + AnchorFileConverter.HELP)
  List<TrustStore.AnchorFile> trust = new ArrayList<>();

  @Option(names = "--crl", paramLabel = "CRL.pem",
      description = "CRLs for the verification with --trust. Repeatable.")
  List<Path> crls = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Severity threshold = threshold();
    boolean hold = hold();
    Output out = output();
    List<VexStatement> statements = List.of();
    if (vex != null) {
      if (!Files.isRegularFile(vex)) {
        throw new NoSuchFileException(vex.toString());
      }
      try (InputStream in = Files.newInputStream(vex)) {
        statements = VexReader.read(in, vex.getFileName().toString());
      }
    }
    VulnDb database = VulnDb.open(db);
    database.requireFresh(maxDbAge, Instant.now());

    Manifest manifest;
    byte[] sbomBytes;
    boolean signatureChecked = !trust.isEmpty();
    // One open bundle for the verification and the SBOM read: the bytes judged are the bytes
    // verified, whatever happens to the path meanwhile.
    try (BundleReader reader = BundleReader.open(file, BundleLimits.defaults())) {
      if (signatureChecked) {
        // Signature, chain and every listed file's digest, the SBOM's included.
        BundleVerifier.of(TrustStore.loadBound(trust, crls)).verify(reader, ProgressListener.NONE);
      }
      manifest = reader.manifest();
      sbomBytes = reader.readSbom().orElseThrow(() -> new RefusalException(ReasonCode.BAD_INPUT,
          file + " carries no SBOM (format " + reader.manifest().format() + "); build it with"
              + " 'neguard pkg build --sbom FILE' or '--sbom-generate'"));
    }
    CycloneDx.Sbom sbom = CycloneDx.read(sbomBytes, file.getFileName() + "!/neguard/sbom.cdx.json");
    Assessment assessment = database.assess(sbom.inventory());
    // Taken before VEX and kept whole: every component that could not be assessed stays
    // listed, released by a VEX statement or not.
    List<Assessment.NotAssessed> notAssessedComponents = assessment.notAssessed();
    if (hold) {
      // As the server's gate (--vuln-unassessable hold): what cannot be assessed is a finding
      // of unknown severity, which reaches every threshold; only a reasoned VEX statement for
      // Unassessable.ADVISORY_ID releases it (VexReader refused one without a reason above).
      assessment = Unassessable.asFindings(assessment, sbom.unidentified());
    }
    if (!statements.isEmpty()) {
      assessment = Vex.apply(assessment, statements);
    }

    List<Finding> failing = assessment.failing(threshold);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("bundle", file.toString());
    d.put("package", Describe.pkg(manifest, false));
    d.put("verified", signatureChecked
        ? "signature, chain and every file's digest (--trust)"
        : "the SBOM against the manifest's size and SHA-256; signature NOT checked (no --trust)");
    d.put("failOn", threshold.name().toLowerCase(Locale.ROOT));
    d.put("unassessable", hold ? "hold" : "note");
    d.put("sbom", Map.of("specVersion", sbom.specVersion(),
        "components", sbom.components().size(), "unidentified", sbom.unidentified().size()));
    d.put("database", feeds(database.feeds()));
    d.put("method", assessment.method());
    List<Map<String, Object>> rows = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (Finding f : assessment.findings()) {
      rows.add(row(f, failing.contains(f)));
      if (!Unassessable.is(f)) {
        text.append('\n').append(line(f, failing.contains(f)));
      }
    }
    d.put("findings", rows);
    // Listed in both modes; with hold, from their findings, each line saying whether it holds
    // the result or which VEX statement released it (the finding's row carries the same).
    List<Map<String, Object>> notAssessed = new ArrayList<>();
    for (Assessment.NotAssessed n : notAssessedComponents) {
      notAssessed.add(Map.of("component", n.component().purl(), "reason", n.reason()));
      if (!hold) {
        text.append("\n  NOT ASSESSED  ").append(n.component().purl()).append(": ")
            .append(n.reason());
      }
    }
    for (CycloneDx.Unidentified u : sbom.unidentified()) {
      notAssessed.add(Map.of("component", u.name() + u.version().map(v -> " " + v).orElse(""),
          "reason", u.reason()));
      if (!hold) {
        text.append("\n  NOT ASSESSED  ").append(u.name()).append(u.version()
            .map(v -> " " + v).orElse("")).append(": ").append(u.reason());
      }
    }
    for (Finding f : assessment.findings()) {
      if (Unassessable.is(f)) {
        text.append("\n  NOT ASSESSED  ").append(name(f)).append(": ")
            .append(f.summary().replaceFirst("^not assessed: ", "")).append(status(f, failing));
      }
    }
    d.put("notAssessed", notAssessed);

    long known = assessment.findings().stream().filter(f -> !Unassessable.is(f)).count();
    long holding = failing.stream().filter(Unassessable::is).count();
    String what = manifest.name() + " " + manifest.version() + ": " + sbom.components().size()
        + " components against " + database.feeds().size() + " feed(s); " + known
        + " finding(s), " + (failing.size() - holding) + " at or above "
        + threshold.name().toLowerCase(Locale.ROOT) + " not suppressed; " + notAssessed.size()
        + " not assessed" + (hold ? ", " + holding + " holding (--unassessable hold)" : "")
        + (signatureChecked ? "" : " (signature not checked: give --trust)");
    List<Reason> reasons = new ArrayList<>();
    for (Finding f : failing) {
      if (Unassessable.is(f)) {
        // The server's code for it (HeldPackages): SCAN_INCOMPLETE, naming the component.
        reasons.add(Reason.about(ReasonCode.SCAN_INCOMPLETE, name(f), f.summary() + "; give"
            + " it a package URL of a supported ecosystem, or record why it may ship"
            + " unassessed: a VEX statement for " + Unassessable.ADVISORY_ID + " with a"
            + " justification (--vex), or --unassessable note"));
        continue;
      }
      reasons.add(Reason.about(ReasonCode.KNOWN_VULNERABILITY, f.component().purl(),
          f.advisoryId() + " " + f.cves() + " (" + f.severity() + ") affects "
              + f.component().name() + " " + f.component().version()
              + f.fixedVersion().map(v -> "; fixed in " + v + ": rebuild with it")
                  .orElse("; no fixed version yet: record a VEX statement if not affected")));
    }
    if (reasons.isEmpty()) {
      return out.pass("PASS  " + what + text, d);
    }
    return out.failWithDetails("FAIL  " + what + text, reasons, d);
  }

  /**
   * {@code --unassessable}: hold unless note is asked for, by it or by the deprecated
   * {@code --allow-not-assessed}; the two saying different things is a usage error.
   */
  private boolean hold() {
    if (allowNotAssessed) {
      if (unassessable != null && !unassessable.equals("note")) {
        throw usage("--allow-not-assessed is --unassessable note; it cannot be given with"
            + " --unassessable " + unassessable);
      }
      return false;
    }
    return switch (unassessable == null ? "hold" : unassessable) {
      case "hold" -> true;
      case "note" -> false;
      default -> throw usage("--unassessable: '" + unassessable + "' is not hold or note");
    };
  }

  /** A component held unassessed, as messages name it: its purl, else name and version. */
  private static String name(Finding f) {
    Component c = f.component();
    return !c.purl().isEmpty() ? c.purl()
        : c.name() + (c.version().isEmpty() ? "" : " " + c.version()) + " (no package URL)";
  }

  private static String status(Finding f, List<Finding> failing) {
    if (failing.contains(f)) {
      return "  HOLDS (" + Unassessable.ADVISORY_ID + ")";
    }
    return f.vex().map(v -> "  [VEX " + v.status() + v.justification().map(j -> ": " + j)
        .orElse(v.impactStatement().map(x -> ": " + x).orElse("")) + "]").orElse("");
  }

  private Severity threshold() {
    return Severity.threshold(failOn).orElseThrow(() -> usage("--fail-on: '" + failOn
        + "' is not " + Severity.THRESHOLDS));
  }

  private static List<Map<String, Object>> feeds(List<FeedInfo> feeds) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FeedInfo f : feeds) {
      out.add(Map.of("name", f.name(), "kind", f.kind(), "newest", f.newest().toString(),
          "records", f.records()));
    }
    return out;
  }

  private static Map<String, Object> row(Finding f, boolean failing) {
    Map<String, Object> r = new LinkedHashMap<>();
    Component c = f.component();
    r.put("advisory", f.advisoryId());
    r.put("cves", f.cves());
    r.put("severity", f.severity().name());
    f.cvss().ifPresent(s -> r.put("cvss", Map.of("version", s.version(), "vector", s.vector(),
        "score", s.score())));
    r.put("purl", c.purl());
    r.put("package", c.name());
    r.put("version", c.version());
    c.source().ifPresent(s -> r.put("source", s.name() + " " + s.version()));
    r.put("affected", f.affected());
    r.put("fixedIn", f.fixedVersion().orElse(null));
    r.put("matchedBy", f.matchedBy());
    r.put("summary", f.summary());
    f.vex().ifPresent(v -> {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("status", v.status().name());
      v.justification().ifPresent(j -> x.put("justification", j));
      v.impactStatement().ifPresent(i -> x.put("impactStatement", i));
      x.put("author", v.author());
      x.put("source", v.source());
      r.put("vex", x);
    });
    r.put("suppressed", f.suppressed());
    r.put("failing", failing);
    return r;
  }

  private static String line(Finding f, boolean failing) {
    Component c = f.component();
    return String.format(Locale.ROOT, "  %-9s %s %s  %s %s%s  %s%s", f.severity(),
        f.advisoryId(), f.cves(), c.name(), c.version(),
        c.source().filter(s -> !s.name().equals(c.name()))
            .map(s -> " (source " + s.name() + " " + s.version() + ")").orElse(""),
        f.fixedVersion().map(v -> "fixed in " + v).orElse("no fixed version"),
        f.vex().map(v -> "  [VEX " + v.status() + v.justification().map(j -> ": " + j)
            .orElse(v.impactStatement().map(i -> ": " + i).orElse("")) + "]").orElse(""))
        + (failing ? "  FAILING" : "");
  }
}
