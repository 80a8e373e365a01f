package org.neguard.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Puts scan reports into an unsigned bundle: each under {@link BundleLayout#SCAN_PREFIX}, listed
 * in the manifest with its size and SHA-256, so that the vendor's signature will cover them
 * (AV-3, INT-4). The reports replace any the bundle carried. The bundle is rewritten by {@link
 * BundleRewriter} (payload entries copied as they are) and moved into place, so a failure leaves
 * the input untouched.
 */
public final class ScanReportWriter {
  private ScanReportWriter() {}

  /**
   * Writes {@code reader}'s bundle with {@code reports} (entry name below {@code neguard/scan/}
   * → exact bytes) to {@code out}, which may be the bundle itself.
   *
   * @return the new manifest
   * @throws RefusalException {@code STRUCTURE} if the bundle is already signed (its signature
   *     covers the old manifest: scan before signing), {@code UNSAFE_PATH} for a bad report name
   */
  public static Manifest write(BundleReader reader, Map<String, byte[]> reports, Path out)
      throws IOException, RefusalException {
    requireUnsigned(reader);
    Rewrite r = rewrite(reader, reports);
    List<BundleRewriter.Part> parts = new ArrayList<>(r.fresh());
    parts.addAll(BundleRewriter.kept(reader, name -> name.startsWith(BundleLayout.PAYLOAD_PREFIX)
        || name.equals(BundleLayout.SBOM) && r.old().sbom().isPresent()));
    BundleRewriter.write(reader, parts, Instant.parse(r.old().created()), out);
    return r.manifest();
  }

  /**
   * Starts writing {@code reader}'s bundle to {@code out} (which may be the bundle itself) before
   * its reports exist: the payload entries are copied, as they are, on a thread of their own
   * while the engines scan; {@link #finish} adds the manifest and the reports. Closing the
   * result without finishing leaves {@code out} as it was.
   *
   * @throws RefusalException {@code STRUCTURE} if the bundle is already signed
   */
  public static Pending start(BundleReader reader, Path out) throws IOException, RefusalException {
    requireUnsigned(reader);
    List<BundleRewriter.Kept> payload = new ArrayList<>();
    for (BundleRewriter.Part p
        : BundleRewriter.kept(reader, name -> name.startsWith(BundleLayout.PAYLOAD_PREFIX))) {
      payload.add((BundleRewriter.Kept) p);
    }
    return new Pending(BundleRewriter.start(reader, payload, out));
  }

  /**
   * Finishes what {@link #start} began: the same bundle {@link #write} writes (the manifest
   * listing {@code reports}, the reports, the SBOM, every payload entry as it was), the payload
   * first.
   *
   * @return the new manifest
   * @throws RefusalException as {@link #write}
   */
  public static Manifest finish(Pending pending, BundleReader reader, Map<String, byte[]> reports)
      throws IOException, RefusalException {
    Rewrite r = rewrite(reader, reports);
    List<BundleRewriter.Part> parts = new ArrayList<>(r.fresh());
    if (r.old().sbom().isPresent()) {
      parts.add(new BundleRewriter.Kept(BundleLayout.SBOM));
    }
    pending.started.finish(parts, Instant.parse(r.old().created()));
    return r.manifest();
  }

  /** A bundle being written by {@link #start}; closing it unfinished deletes what was written. */
  public static final class Pending implements AutoCloseable {
    private final BundleRewriter.Started started;

    private Pending(BundleRewriter.Started started) {
      this.started = started;
    }

    @Override
    public void close() throws IOException {
      started.close();
    }
  }

  private record Rewrite(Manifest old, Manifest manifest, List<BundleRewriter.Part> fresh) {}

  /** The new manifest and the new entries: the manifest, then the reports. */
  private static Rewrite rewrite(BundleReader reader, Map<String, byte[]> reports)
      throws IOException, RefusalException {
    Map<String, byte[]> ordered = new LinkedHashMap<>(reports);
    List<Manifest.ScanReportRef> refs = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : ordered.entrySet()) {
      refs.add(new Manifest.ScanReportRef(e.getKey(), e.getValue().length, Sha256.hex(e.getValue())));
    }
    Manifest old = reader.manifest();
    // The SBOM stays as it is, listed with its digest: scanning must not drop what the vendor
    // declared the package to carry.
    Manifest manifest = old.withScanReports(refs);
    byte[] manifestBytes = ManifestCodec.encode(manifest);
    ManifestCodec.check(manifest); // the checks every reader applies, report names included
    List<BundleRewriter.Part> parts = new ArrayList<>();
    parts.add(new BundleRewriter.Fresh(BundleLayout.MANIFEST, manifestBytes, true));
    ordered.forEach((name, bytes) -> parts.add(new BundleRewriter.Fresh(name, bytes, true)));
    return new Rewrite(old, manifest, parts);
  }

  /**
   * Refuses a signed bundle: its signature covers the manifest that new reports would change.
   * Scanners call this before scanning, so nobody waits for a scan that cannot be written; it
   * needs no manifest ({@link BundleReader#openArchive} is enough).
   *
   * @throws RefusalException {@code STRUCTURE} if {@code reader}'s bundle is signed
   */
  public static void requireUnsigned(BundleReader reader) throws RefusalException {
    if (reader.hasSignatureEntry()) {
      throw new RefusalException(
          ReasonCode.STRUCTURE,
          "the package is already signed; scan reports change the manifest the signature covers."
              + " Scan the unsigned package, then sign it");
    }
  }

}
