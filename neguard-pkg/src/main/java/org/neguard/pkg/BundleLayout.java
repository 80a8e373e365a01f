package org.neguard.pkg;

/** Entry names inside a {@code .ngp} bundle (docs/FORMAT.md). */
public final class BundleLayout {
  /** The signed manifest. */
  public static final String MANIFEST = "neguard/manifest.json";
  /** CMS SignedData, detached, over the exact bytes of {@link #MANIFEST}. */
  public static final String SIGNATURE = "neguard/manifest.json.p7s";
  /** Prefix of the scan reports; each is listed in the manifest with its digest. */
  public static final String SCAN_PREFIX = "neguard/scan/";
  /** Prefix of the payload; a payload file's manifest path is its entry name less this. */
  public static final String PAYLOAD_PREFIX = "payload/";
  /**
   * The CycloneDX JSON SBOM, when the bundle carries one; listed in the manifest's {@code sbom}
   * field with its size and digest.
   */
  public static final String SBOM = "neguard/sbom.cdx.json";
  /** The value of the manifest's {@code format} field for a bundle without an SBOM. */
  public static final String FORMAT = "neguard-package/1";
  /**
   * The value of the manifest's {@code format} field for a bundle with an SBOM: readers that
   * know only {@link #FORMAT} refuse it rather than ignore an entry they cannot check.
   */
  public static final String FORMAT_SBOM = "neguard-package/2";
  /** File name extension of a bundle. */
  public static final String EXTENSION = ".ngp";

  private BundleLayout() {}
}
