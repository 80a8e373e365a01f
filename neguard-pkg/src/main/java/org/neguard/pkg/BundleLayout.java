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
  /** The value of the manifest's {@code format} field for this layout. */
  public static final String FORMAT = "neguard-package/1";
  /** File name extension of a bundle. */
  public static final String EXTENSION = ".ngp";

  private BundleLayout() {}
}
