package org.neguard.server.pkg;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
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

  private static Bundle bundle(PackageStore.StoredPackage p) {
    return new Bundle(p.name(), p.version(), p.sha256(), p.sizeBytes(), p.securityVersion(),
        p.neType(), p.rim());
  }
}
