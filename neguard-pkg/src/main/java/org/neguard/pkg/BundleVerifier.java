package org.neguard.pkg;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.neguard.sign.SignatureVerifier;
import org.neguard.sign.SignerDetails;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/**
 * Verifies a bundle in full (INT-1, INT-2, INT-4): structure, the vendor's signature over the
 * manifest, the signer's chain to a trust anchor that speaks for the manifest's vendor, and the size and SHA-256 of every payload file
 * and scan report. The same check runs at install and at every upgrade (INT-3), on the NE.
 *
 * <p>Payload digests are computed on several threads while the signature is checked; memory
 * stays constant whatever the bundle's size. Thread-safe.
 */
public final class BundleVerifier {
  private final SignatureVerifier signatures;
  private final BundleLimits limits;
  private final int threads;
  private final BundleCheck check;

  private BundleVerifier(
      SignatureVerifier signatures, BundleLimits limits, int threads, BundleCheck check) {
    this.signatures = signatures;
    this.limits = limits;
    this.threads = threads;
    this.check = check;
  }

  /** A verifier with default limits, the system clock, and one thread per core. */
  public static BundleVerifier of(TrustStore trust) {
    return builder(trust).build();
  }

  public static Builder builder(TrustStore trust) {
    return new Builder(trust);
  }

  /**
   * Verifies {@code bundle}.
   *
   * @throws IOException if the file cannot be read (no verdict)
   * @throws RefusalException with every reason the bundle is refused
   */
  public Verification verify(Path bundle, ProgressListener progress)
      throws IOException, RefusalException {
    try (BundleReader reader = BundleReader.openArchive(bundle, limits);
        // Hashing starts from the central directory, bounded by its sizes, while the manifest
        // is decoded and the signature checked; results are judged against the manifest after.
        PayloadHasher hasher =
            PayloadHasher.start(reader, reader.contentEntries(), threads, progress)) {
      reader.loadManifest();
      return check(reader, hasher);
    }
  }

  /** Verifies an already open bundle. */
  public Verification verify(BundleReader reader, ProgressListener progress)
      throws IOException, RefusalException {
    try (PayloadHasher hasher =
        PayloadHasher.startListed(reader, reader.manifest(), threads, progress)) {
      return check(reader, hasher);
    }
  }

  private Verification check(BundleReader reader, PayloadHasher hasher)
      throws IOException, RefusalException {
    Manifest manifest = reader.manifest();
    byte[] signature =
        reader
            .signature()
            .orElseThrow(
                () ->
                    new RefusalException(
                        ReasonCode.UNSIGNED,
                        "the package is not signed (no " + BundleLayout.SIGNATURE
                            + "); sign it with 'neguard pkg sign'"));
    SignerDetails signer = signatures.verify(reader.manifestBytes(), signature, manifest.vendor());
    try {
      List<Reason> failures = PayloadHasher.compare(manifest, hasher.await());
      if (!failures.isEmpty()) {
        throw new RefusalException(failures);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("verification interrupted");
    }
    check.check(reader);
    return new Verification(reader.file(), manifest, signer);
  }

  /** Configures a {@link BundleVerifier}. */
  public static final class Builder {
    private final TrustStore trust;
    private BundleLimits limits = BundleLimits.defaults();
    private Clock clock = Clock.systemUTC();
    private int threads = Runtime.getRuntime().availableProcessors();
    private BundleCheck check = BundleCheck.NONE;

    private Builder(TrustStore trust) {
      this.trust = Objects.requireNonNull(trust, "trust");
    }

    public Builder limits(BundleLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /** The clock certificate validity is judged against. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads < 1: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * A check the bundle must also pass once its signature and digests are good: the anti-virus
     * publication gate ({@code org.neguard.scanreport.ScanReportCheck}) wherever a package is accepted.
     */
    public Builder check(BundleCheck check) {
      this.check = Objects.requireNonNull(check, "check");
      return this;
    }

    public BundleVerifier build() {
      return new BundleVerifier(new SignatureVerifier(trust, clock), limits, threads, check);
    }
  }
}
