package org.neguard.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.neguard.sign.CmsSigner;
import org.neguard.sign.Certificates;
import org.neguard.sign.SigningIdentity;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/**
 * Signs a bundle: checks that every file matches the manifest, then adds a detached CMS
 * signature over the manifest's exact bytes. The bundle is rewritten whole (entries copied
 * without recompression) and moved into place, so a failure leaves the input untouched.
 */
public final class BundleSigner {
  private final BundleLimits limits;
  private final int threads;
  private final BundleCheck gate;

  /**
   * @param gate what the bundle must pass before it is signed: the CLI passes the anti-virus
   *     publication gate ({@code org.neguard.scanreport.ScanReportCheck}, AV-2)
   */
  public BundleSigner(BundleLimits limits, int threads, BundleCheck gate) {
    this.limits = Objects.requireNonNull(limits, "limits");
    if (threads < 1) {
      throw new IllegalArgumentException("threads < 1: " + threads);
    }
    this.threads = threads;
    this.gate = Objects.requireNonNull(gate, "gate");
  }

  /** A signer without a publication gate: for tests of the bundle format alone. */
  public BundleSigner(BundleLimits limits, int threads) {
    this(limits, threads, BundleCheck.NONE);
  }

  /** A signer without a publication gate: for tests of the bundle format alone. */
  public BundleSigner() {
    this(BundleLimits.defaults(), Runtime.getRuntime().availableProcessors());
  }

  /**
   * Signs {@code bundle} with {@code identity}, writing the signed bundle to {@code out} (which
   * may be {@code bundle} itself).
   *
   * @param replace whether an existing signature may be replaced
   * @throws RefusalException {@code STRUCTURE} if already signed and not {@code replace}, {@code
   *     KEY_USAGE} if the certificate is not for code signing, any bundle refusal if the bundle's
   *     contents do not match its manifest, any refusal of the gate
   */
  public void sign(
      Path bundle, SigningIdentity identity, Path out, boolean replace, ProgressListener progress)
      throws IOException, RefusalException {
    checkCodeSigning(identity);
    try (BundleReader reader = BundleReader.open(bundle, limits)) {
      if (reader.signature().isPresent() && !replace) {
        throw new RefusalException(
            ReasonCode.STRUCTURE,
            "the package is already signed; pass --resign to replace its signature");
      }
      ContentCheck.check(reader, threads, progress);
      gate.check(reader);
      byte[] signature = CmsSigner.signDetached(reader.manifestBytes(), identity);
      List<BundleRewriter.Part> parts = new ArrayList<>();
      parts.add(new BundleRewriter.Kept(BundleLayout.MANIFEST));
      parts.add(new BundleRewriter.Fresh(BundleLayout.SIGNATURE, signature, false));
      parts.addAll(BundleRewriter.kept(reader,
          name -> !name.equals(BundleLayout.MANIFEST) && !name.equals(BundleLayout.SIGNATURE)));
      BundleRewriter.write(reader, parts, Instant.parse(reader.manifest().created()), out);
    }
  }

  /** Refuses before signing what every verifier would refuse after. */
  private static void checkCodeSigning(SigningIdentity identity) throws RefusalException {
    if (!Certificates.isForCodeSigning(identity.certificate())) {
      String subject = Certificates.subject(identity.certificate());
      throw RefusalException.about(
          ReasonCode.KEY_USAGE,
          subject,
          "certificate '" + subject + "' has no codeSigning extended key usage; verifiers would"
              + " refuse the package. Sign with a code-signing certificate");
    }
  }
}
