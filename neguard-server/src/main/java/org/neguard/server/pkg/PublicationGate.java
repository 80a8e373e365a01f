package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.ProgressListener;
import org.neguard.pkg.Verification;
import org.neguard.scan.ScanGate;
import org.neguard.scan.ScanPolicy;
import org.neguard.verdict.RefusalException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The one check an uploaded bundle must pass before the server stores it (SRC-2, INT-1): the
 * same full verification as {@code neguard pkg verify}, against the server's own trust
 * configuration. Every publication-time check belongs in {@link #verifyForPublication}.
 */
@Component
public final class PublicationGate {
  private final TrustConfiguration trust;
  private final ScanGate scanGate;

  PublicationGate(
      TrustConfiguration trust,
      @Value("${neguard.scan.min-engines:1}") int minEngines,
      @Value("${neguard.scan.min-av-engines:1}") int minAntivirusEngines,
      @Value("${neguard.scan.max-db-age:7d}") Duration maxDatabaseAge,
      @Value("${neguard.scan.allow-unversioned-db:false}") boolean allowUnversioned) {
    this.trust = trust;
    this.scanGate = new ScanGate(new ScanPolicy(
        minEngines, minAntivirusEngines, maxDatabaseAge, !allowUnversioned));
  }

  /**
   * Verifies {@code bundle} in full: structure, the vendor's CMS signature, the signer's chain to
   * one of the server's anchors (validity, codeSigning, CRLs), and the size and SHA-256 of every
   * payload file and scan report; then the anti-virus publication gate (AV-2: clean scan reports
   * for exactly this payload that meet the scan policy, {@code neguard.scan.*} properties), the
   * same gate {@code pkg sign} and {@code pkg verify} apply.
   *
   * @throws IOException if the file cannot be read (no verdict)
   * @throws RefusalException with the same reason codes as {@code pkg verify}
   */
  public Verification verifyForPublication(Path bundle) throws IOException, RefusalException {
    BundleVerifier verifier = BundleVerifier.builder(trust.load()).check(scanGate).build();
    return verifier.verify(bundle, ProgressListener.NONE);
  }
}
