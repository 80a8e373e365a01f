package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.neguard.measure.Sha256;
import org.neguard.measure.TreeDigest;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.scanreport.ScanReport;
import org.neguard.scanreport.ScanReportCheck;
import org.neguard.verdict.RefusalException;
import org.springframework.stereotype.Component;

/**
 * What other server features may know of the verified package store: a stored package's
 * identity and the file of a stored bundle. Only packages that passed verified ingest (SRC-2)
 * are ever found here. Thread-safe.
 */
@Component
public final class StoredBundles {
  /**
   * A stored, verified package.
   *
   * @param sha256 SHA-256 of the bundle file (its identity in the store and in orders)
   * @param sizeBytes the bundle file's length
   * @param rim the package's reference integrity measurement (the tree digest of its payload)
   */
  public record Bundle(String name, String version, String sha256, long sizeBytes,
      long securityVersion, String neType, String rim) {}

  private final PackageStore store;
  private final PackageIngest ingest;

  StoredBundles(PackageStore store, PackageIngest ingest) {
    this.store = store;
    this.ingest = ingest;
  }

  /** The stored package {@code name} {@code version}, if there is one. */
  public Optional<Bundle> find(String name, String version) {
    return store.find(name, version).map(StoredBundles::bundle);
  }

  /** Every stored package whose file digest is known, by name, then upload time. */
  public List<Bundle> all() {
    return store.list().stream().filter(p -> p.sha256() != null).map(StoredBundles::bundle)
        .toList();
  }

  /**
   * The file of the stored bundle whose file digest is {@code sha256}, if a stored package has
   * it (the file itself may still be missing from a damaged store: the caller checks).
   */
  public Optional<Path> file(String sha256) {
    return store.findByFile(sha256).map(ingest::bundleFile);
  }

  /**
   * The file list of the signed manifest of stored package {@code name} {@code version}, as
   * leaves of its RIM (docs/MEASUREMENT.md): what an NE running it must measure. Read from the
   * stored bundle (verified at upload) and checked against the manifest digest recorded then;
   * the last few are kept, stored packages never change.
   *
   * @throws IOException when the bundle cannot be read or is not the one stored
   */
  public Optional<List<TreeDigest.Leaf>> rimFiles(String name, String version)
      throws IOException {
    Optional<PackageStore.StoredPackage> p = store.find(name, version);
    if (p.isEmpty() || p.get().sha256() == null) {
      return Optional.empty();
    }
    String key = p.get().sha256();
    List<TreeDigest.Leaf> cached = rims.get(key);
    if (cached != null) {
      return Optional.of(cached);
    }
    Path file = ingest.bundleFile(p.get());
    List<TreeDigest.Leaf> leaves;
    try (BundleReader r = BundleReader.open(file, BundleLimits.defaults())) {
      if (!Sha256.hex(r.manifestBytes()).equals(p.get().manifestSha256())) {
        throw new IOException("the stored bundle of " + name + " " + version
            + " does not hold the manifest recorded at upload");
      }
      Manifest m = r.manifest();
      leaves = m.files().stream()
          .map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits())).toList();
    } catch (RefusalException e) {
      throw new IOException("the stored bundle of " + name + " " + version + " cannot be read: "
          + e.getMessage(), e);
    }
    if (rims.size() >= 32) {
      rims.clear();
    }
    rims.put(key, leaves);
    return Optional.of(leaves);
  }

  /**
   * The scan reports (AV-3) of stored package {@code name} {@code version}, as the manifest lists
   * them: read from the stored bundle, each checked against the size and SHA-256 its signed
   * manifest gives, and the manifest against the digest recorded at upload.
   *
   * @throws IOException when the bundle cannot be read, is not the one stored, or a report in it
   *     does not match its manifest (nothing is shown on doubt)
   */
  public Optional<List<ScanReport>> scanReports(String name, String version) throws IOException {
    Optional<PackageStore.StoredPackage> p = store.find(name, version);
    if (p.isEmpty() || p.get().sha256() == null) {
      return Optional.empty();
    }
    try (BundleReader r = BundleReader.open(ingest.bundleFile(p.get()), BundleLimits.defaults())) {
      if (!Sha256.hex(r.manifestBytes()).equals(p.get().manifestSha256())) {
        throw new IOException("the stored bundle of " + name + " " + version
            + " does not hold the manifest recorded at upload");
      }
      return Optional.of(ScanReportCheck.read(r));
    } catch (RefusalException e) {
      throw new IOException("the scan reports of stored package " + name + " " + version
          + " cannot be read: " + e.getMessage(), e);
    }
  }

  private final java.util.concurrent.ConcurrentHashMap<String, List<TreeDigest.Leaf>> rims =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static Bundle bundle(PackageStore.StoredPackage p) {
    return new Bundle(p.name(), p.version(), p.sha256(), p.sizeBytes(), p.securityVersion(),
        p.neType(), p.rim());
  }
}
