package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.Manifest;
import org.neguard.progress.ProgressListener;
import org.neguard.pkg.Verification;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.scanreport.ScanPolicy;
import org.neguard.scanreport.ScanReport;
import org.neguard.server.ServerConfig;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Assessment;
import org.neguard.vuln.CycloneDx;
import org.neguard.vuln.Finding;
import org.neguard.vuln.Severity;
import org.neguard.vuln.Unassessable;
import org.neguard.vuln.Vex;
import org.neguard.vuln.VexStatement;
import org.neguard.vuln.VulnDb;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.server.vuln.VulnDatabase;
import org.springframework.stereotype.Component;

/**
 * The one check an uploaded bundle must pass before the server stores it (SRC-2, INT-1): the
 * same full verification as {@code neguard pkg verify}, against the server's own trust
 * configuration. Every publication-time check belongs in {@link #verifyForPublication}.
 */
@Component
public final class PublicationGate {
  /** A database dated this far after the server's clock means a wrong clock, not a new one. */
  private static final Duration CLOCK_SKEW = Duration.ofHours(1);

  private final TrustConfiguration trust;
  private final ScanReportCheck scanGate;
  private final Clock clock = Clock.systemUTC();
  private final Optional<Path> vulnDbDir;
  private final VulnDatabase vulnDb;
  private final ServerConfig.VulnGate vulnPolicy;

  /**
   * The vulnerability half of the gate (issue 16) for one bundle.
   *
   * @param assessment the SBOM's components matched against the database, VEX applied; empty
   *     when there was nothing to assess (no SBOM, or no database configured)
   * @param failOn the threshold
   * @param failing the findings that hold the package: not suppressed, at or above {@code
   *     failOn} (unknown severity included)
   * @param notAssessed SBOM components no advisory can name (no purl, an unknown kind); with
   *     {@code --vuln-unassessable hold} each is a finding too ({@link Unassessable})
   * @param note why nothing was assessed, when nothing was
   */
  record VulnVerdict(Optional<Assessment> assessment, Severity failOn, List<Finding> failing,
      List<String> notAssessed, String note) {
    boolean holds() {
      return !failing.isEmpty();
    }
  }

  /** A verified bundle and the SBOM it carries (checked against its signed manifest). */
  record Verified(Verification verification, Optional<byte[]> sbom) {}

  PublicationGate(TrustConfiguration trust, ServerConfig config, VulnDatabase vulnDb) {
    this.trust = trust;
    // The policy comes from the command line only (ServerConfig), never from a file or the
    // environment: nobody may relax the gate by writing a properties file.
    this.scanGate = new ScanReportCheck(config.scanPolicy());
    this.vulnDbDir = config.vuln().db();
    this.vulnDb = vulnDb;
    this.vulnPolicy = config.vulnGate();
  }

  /** Whether the server has a vulnerability database to judge SBOMs against. */
  boolean hasVulnDb() {
    return vulnDbDir.isPresent();
  }

  ServerConfig.VulnGate vulnPolicy() {
    return vulnPolicy;
  }

  public ScanPolicy policy() {
    return scanGate.policy();
  }

  /**
   * Verifies {@code bundle} in full: structure, the vendor's CMS signature, the signer's chain to
   * one of the server's anchors (validity, codeSigning, CRLs), and the size and SHA-256 of every
   * payload file and scan report; then the anti-virus publication gate (AV-2: clean scan reports
   * for exactly this payload that meet the server's scan policy), the same gate {@code pkg sign}
   * and {@code pkg verify} apply; and last the age of each report's signature database at upload
   * time, by the server's clock.
   *
   * @throws IOException if the file cannot be read (no verdict)
   * @throws RefusalException with the same reason codes as {@code pkg verify}
   */
  Verified verifyForPublication(Path bundle) throws IOException, RefusalException {
    Instant uploaded = clock.instant();
    List<Optional<byte[]>> sbom = new ArrayList<>(1);
    BundleVerifier verifier = BundleVerifier.builder(trust.load())
        .check(reader -> {
          checkAtUpload(reader, uploaded);
          // Read here, once the signature over the manifest has verified: the SBOM is checked
          // against the manifest's size and SHA-256, so these are the vendor's signed bytes.
          sbom.add(Sboms.read(reader));
        }).build();
    Verification v = verifier.verify(bundle, ProgressListener.NONE);
    if (sbom.isEmpty()) {
      throw new IllegalStateException("the bundle check did not run");
    }
    if (sbom.get(0).isEmpty() && vulnPolicy.requireSbom()) {
      throw new RefusalException(ReasonCode.SCAN_POLICY, "the package carries no SBOM and this"
          + " server's publication policy requires one (--require-sbom): build it again with"
          + " 'neguard pkg build --sbom FILE' (or --sbom-generate), sign it and upload it again");
    }
    return new Verified(v, sbom.get(0));
  }

  private void checkAtUpload(BundleReader reader, Instant uploaded)
      throws IOException, RefusalException {
    List<ScanReport> reports = scanGate.judge(reader);
    databaseAgeAtUpload(reader.manifest(), reports, uploaded);
  }

  /**
   * Judges the vulnerabilities of a package (issue 16): its SBOM's components matched against
   * the server's database (as it is now: a re-judgement sees advisories imported since), {@code
   * vex} applied, the findings that reach the threshold.
   *
   * @param subject the package, for messages
   * @throws RefusalException MALFORMED or SIZE_LIMIT (a broken SBOM: the package is refused, not
   *     held, since no VEX statement can mend it); ENGINE_UNAVAILABLE when the database cannot be
   *     opened (nothing is published on doubt)
   */
  VulnVerdict judge(Optional<byte[]> sbom, List<VexStatement> vex, String subject)
      throws IOException, RefusalException {
    Severity failOn = vulnPolicy.failOn();
    if (sbom.isEmpty()) {
      return new VulnVerdict(Optional.empty(), failOn, List.of(), List.of(),
          subject + " carries no SBOM: no vulnerability assessment");
    }
    if (vulnDbDir.isEmpty()) {
      return new VulnVerdict(Optional.empty(), failOn, List.of(), List.of(),
          "this server has no vulnerability database (--vulndb): the SBOM of " + subject
              + " is not assessed");
    }
    // Strict and bounded (CycloneDx): duplicate keys, unknown fields, malformed package URLs
    // refused MALFORMED; components without a versioned purl listed as not assessed.
    CycloneDx.Sbom inv = CycloneDx.read(sbom.get(), subject + " " + Sboms.PATH);
    VulnDb db = database();
    Assessment assessed = db.assess(inv.inventory());
    if (vulnPolicy.unassessable() == ServerConfig.VulnGate.Unassessable.HOLD) {
      // Fail closed (--vuln-unassessable hold): what cannot be assessed is a finding of unknown
      // severity, which reaches every threshold; only an approver's reasoned VEX statement for
      // Unassessable.ADVISORY_ID releases it, as any other finding.
      assessed = Unassessable.asFindings(assessed, inv.unidentified());
    }
    Assessment a = Vex.apply(assessed, vex);
    List<String> notAssessed = new ArrayList<>();
    inv.unidentified().forEach(u -> notAssessed.add(u.name() + " (" + u.reason() + ")"));
    a.notAssessed().forEach(n -> notAssessed.add(n.component().purl() + " (" + n.reason() + ")"));
    return new VulnVerdict(Optional.of(a), failOn, a.failing(failOn), notAssessed, "");
  }

  /**
   * The server's database (shared with the NEs' assessments, reopened after an import). An old
   * database misses every advisory published since: refused as an old anti-virus database is
   * (SCAN_POLICY), never a pass on doubt; one that cannot be opened publishes nothing.
   */
  private VulnDb database() throws RefusalException {
    VulnDatabase.Current now = vulnDb.current(clock.instant());
    String why = String.join("; ", now.messages());
    return switch (now.state()) {
      case DeviceVulnerabilities.ASSESSED -> now.db().orElseThrow();
      case DeviceVulnerabilities.STALE_DATABASE -> throw new RefusalException(
          ReasonCode.SCAN_POLICY, why + ". Import current feeds with 'neguard vulndb import'"
              + " before publishing");
      default -> throw new RefusalException(ReasonCode.ENGINE_UNAVAILABLE, why + "; nothing is"
          + " published without it");
    };
  }

  /**
   * The scan gate judges a database's age at the scan time the report states; that time is
   * written by the scanning host. The server judges it again against its own clock at upload, so
   * a report whose scan time is wrong (or made up) cannot pass a stale database, and a package
   * scanned long ago must be scanned again before it is published.
   */
  void databaseAgeAtUpload(Manifest manifest, List<ScanReport> reports, Instant uploaded)
      throws RefusalException {
    Duration max = scanGate.policy().maxDatabaseAge();
    List<Reason> reasons = new ArrayList<>();
    for (int i = 0; i < reports.size(); i++) {
      EngineInfo e = reports.get(i).engine();
      if (e.databaseDate() == null) {
        continue; // the scan gate already decided about undated databases
      }
      String name = manifest.scanReports().get(i).path();
      Duration age = Duration.between(e.databaseDate(), uploaded);
      if (age.compareTo(CLOCK_SKEW.negated()) < 0) {
        reasons.add(Reason.about(ReasonCode.SCAN_POLICY, name,
            e.product() + " signature database " + e.databaseVersion() + " is dated "
                + e.databaseDate() + ", after the server's clock (" + uploaded + "); check the"
                + " clocks of the scanning host and of this server, then scan again"));
      } else if (age.compareTo(max) > 0) {
        reasons.add(Reason.about(ReasonCode.SCAN_POLICY, name,
            e.product() + " signature database " + e.databaseVersion() + " of "
                + e.databaseDate() + " is " + age.toDays() + " days old at upload (server clock"
                + " " + uploaded + "); the server's policy allows " + max.toDays()
                + " days. Scan the package again with a current database, sign it and upload"
                + " it again"));
      }
    }
    if (!reasons.isEmpty()) {
      throw new RefusalException(reasons);
    }
  }
}
