package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.Path;
import org.neguard.pkg.BundleVerifier;
import org.neguard.pkg.ProgressListener;
import org.neguard.pkg.Verification;
import org.neguard.verdict.RefusalException;
import org.springframework.stereotype.Component;

/**
 * The one check an uploaded bundle must pass before the server stores it (SRC-2, INT-1): the
 * same full verification as {@code neguard pkg verify}, against the server's own trust
 * configuration. Every publication-time check belongs in {@link #verifyForPublication}.
 */
@Component
public final class PublicationGate {
  private final TrustConfiguration trust;

  PublicationGate(TrustConfiguration trust) {
    this.trust = trust;
  }

  /**
   * Verifies {@code bundle} in full: structure, the vendor's CMS signature, the signer's chain to
   * one of the server's anchors (validity, codeSigning, CRLs), and the size and SHA-256 of every
   * payload file and scan report.
   *
   * <p>The anti-virus publication gate (AV-2: a complete, clean scan report) is to be added
   * here, after the signature check, so that every ingest path gets it.
   *
   * @throws IOException if the file cannot be read (no verdict)
   * @throws RefusalException with the same reason codes as {@code pkg verify}
   */
  public Verification verifyForPublication(Path bundle) throws IOException, RefusalException {
    BundleVerifier verifier = BundleVerifier.of(trust.load());
    return verifier.verify(bundle, ProgressListener.NONE);
  }
}
