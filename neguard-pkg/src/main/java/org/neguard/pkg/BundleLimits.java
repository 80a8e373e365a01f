package org.neguard.pkg;

/**
 * Bounds a reader applies to a bundle before trusting anything in it, so that a hostile bundle
 * cannot exhaust memory or disk (zip bombs, giant manifests).
 *
 * @param maxEntries most ZIP entries
 * @param maxManifestBytes largest manifest
 * @param maxSignatureBytes largest CMS signature
 * @param maxPayloadBytes largest total of the listed file sizes
 * @param maxCompressionRatio largest uncompressed/compressed ratio of an entry larger than
 *     {@code ratioFloorBytes}; deflate's own ceiling is about 1032, real files stay far below 100
 * @param ratioFloorBytes entries up to this size are exempt from the ratio check
 */
public record BundleLimits(
    int maxEntries,
    int maxManifestBytes,
    int maxSignatureBytes,
    long maxPayloadBytes,
    int maxCompressionRatio,
    long ratioFloorBytes) {

  /**
   * Largest SBOM {@link BundleReader#readSbom()} reads into memory: a CycloneDX document of a
   * full distribution image (a few thousand components) is a few MiB.
   */
  public static final int MAX_SBOM_BYTES = 32 << 20;

  public BundleLimits {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries < 1: " + maxEntries);
    }
    if (maxManifestBytes < 1) {
      throw new IllegalArgumentException("maxManifestBytes < 1: " + maxManifestBytes);
    }
    if (maxSignatureBytes < 1) {
      throw new IllegalArgumentException("maxSignatureBytes < 1: " + maxSignatureBytes);
    }
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxPayloadBytes < 0: " + maxPayloadBytes);
    }
    if (maxCompressionRatio < 1) {
      throw new IllegalArgumentException("maxCompressionRatio < 1: " + maxCompressionRatio);
    }
    if (ratioFloorBytes < 0) {
      throw new IllegalArgumentException("ratioFloorBytes < 0: " + ratioFloorBytes);
    }
  }

  /**
   * The defaults: 200,000 entries, 64 MiB manifest, 1 MiB signature, 64 GiB payload, ratio 200
   * above 1 MiB.
   */
  public static BundleLimits defaults() {
    return new BundleLimits(200_000, 64 << 20, 1 << 20, 64L << 30, 200, 1L << 20);
  }
}
