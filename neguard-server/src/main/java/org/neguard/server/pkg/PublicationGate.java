package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.Path;
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

  PublicationGate(TrustConfiguration trust, ServerConfig config) {
    this.trust = trust;
    // The policy comes from the command line only (ServerConfig), never from a file or the
    // environment: nobody may relax the gate by writing a properties file.
    this.scanGate = new ScanReportCheck(config.scanPolicy());
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
  public Verification verifyForPublication(Path bundle) throws IOException, RefusalException {
    Instant uploaded = clock.instant();
    BundleVerifier verifier = BundleVerifier.builder(trust.load())
        .check(reader -> checkAtUpload(reader, uploaded)).build();
    return verifier.verify(bundle, ProgressListener.NONE);
  }

  private void checkAtUpload(BundleReader reader, Instant uploaded)
      throws IOException, RefusalException {
    List<ScanReport> reports = scanGate.judge(reader);
    databaseAgeAtUpload(reader.manifest(), reports, uploaded);
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
