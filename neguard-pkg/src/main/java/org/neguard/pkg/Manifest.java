package org.neguard.pkg;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.neguard.measure.TreeDigest;

/**
 * The manifest of a package: what it is and every file it carries. Signed by the vendor; a
 * reader trusts nothing in a bundle that the manifest does not list (docs/FORMAT.md).
 *
 * <p>The compact constructor checks shape only (present, well-formed); path safety and the
 * consistency of the RIM are checked by {@link ManifestCodec} so that they get their own
 * reason codes.
 *
 * @param format {@link BundleLayout#FORMAT} ({@code neguard-package/1}) without an SBOM,
 *     {@link BundleLayout#FORMAT_SBOM} ({@code neguard-package/2}) with one: the version says
 *     which fields a reader must understand, so a reader that knows only /1 refuses a bundle
 *     whose SBOM it would not check
 * @param name package name, {@code [A-Za-z0-9._+-]}, 1 to 128 characters
 * @param version package version, same alphabet
 * @param securityVersion anti-rollback counter: an NE refuses a package whose value is lower
 *     than the one it runs
 * @param neType the type of network element the package is for ({@code mme}, {@code henb}...)
 * @param vendor who built the package
 * @param created creation time, ISO-8601 UTC ({@code 2026-11-23T10:15:30Z})
 * @param rim the package's reference integrity metric: the tree digest of {@code files}
 * @param files every payload file
 * @param scanReports every anti-virus scan report carried in the bundle (may be empty)
 * @param sbom the CycloneDX SBOM the bundle carries, if any; written to JSON by {@link
 *     ManifestCodec} only when present
 */
public record Manifest(
    String format,
    String name,
    String version,
    long securityVersion,
    String neType,
    String vendor,
    String created,
    Rim rim,
    List<FileEntry> files,
    List<ScanReportRef> scanReports,
    Optional<SbomRef> sbom) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._+-]{1,128}");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern MODE = Pattern.compile("0[0-7]{3}");

  public Manifest {
    Objects.requireNonNull(sbom, "sbom");
    // The format names exactly what the manifest carries: an SBOM under /1 would be skipped by a
    // reader that only knows /1's fields, a /2 without one says something false.
    String expected = sbom.isPresent() ? BundleLayout.FORMAT_SBOM : BundleLayout.FORMAT;
    if (!expected.equals(format)) {
      throw new IllegalArgumentException(
          BundleLayout.FORMAT.equals(format) || BundleLayout.FORMAT_SBOM.equals(format)
              ? "format is " + format + " but the manifest " + (sbom.isPresent() ? "lists" : "lists no")
                  + " SBOM; expected " + expected
              : "format is " + format + "; this NEGuard reads "
                  + BundleLayout.FORMAT + " and " + BundleLayout.FORMAT_SBOM
                  + ", so the package is newer than this reader: upgrade NEGuard (and the NE"
                  + " agents) to read it, or have the vendor build it for the deployed format");
    }
    requireMatch("name", name, NAME);
    requireMatch("version", version, NAME);
    if (securityVersion < 0) {
      throw new IllegalArgumentException("securityVersion < 0: " + securityVersion);
    }
    requireMatch("neType", neType, NAME);
    if (vendor == null || vendor.isBlank() || vendor.length() > 256) {
      throw new IllegalArgumentException("vendor missing, blank or longer than 256 characters");
    }
    requirePresent("created", created);
    try {
      Instant.parse(created);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("created is not an ISO-8601 instant: " + created);
    }
    requirePresent("rim", rim);
    requirePresent("files", files);
    requirePresent("scanReports", scanReports);
    files = List.copyOf(files);
    scanReports = List.copyOf(scanReports);
  }

  /** A manifest without an SBOM ({@code neguard-package/1}): the shape before issue 16. */
  public Manifest(
      String format,
      String name,
      String version,
      long securityVersion,
      String neType,
      String vendor,
      String created,
      Rim rim,
      List<FileEntry> files,
      List<ScanReportRef> scanReports) {
    this(format, name, version, securityVersion, neType, vendor, created, rim, files, scanReports,
        Optional.empty());
  }

  /** This manifest with {@code sbom} (or none), its format set to match. */
  public Manifest withSbom(Optional<SbomRef> sbom) {
    return new Manifest(
        sbom.isPresent() ? BundleLayout.FORMAT_SBOM : BundleLayout.FORMAT,
        name, version, securityVersion, neType, vendor, created, rim, files, scanReports, sbom);
  }

  /** This manifest with other scan reports, everything else kept (the SBOM included). */
  public Manifest withScanReports(List<ScanReportRef> reports) {
    return new Manifest(
        format, name, version, securityVersion, neType, vendor, created, rim, files, reports, sbom);
  }

  /** The reference integrity metric of the package's payload. */
  @JsonPropertyOrder({"algorithm", "digest"})
  public record Rim(String algorithm, String digest) {
    public Rim {
      if (!TreeDigest.ALGORITHM.equals(algorithm)) {
        throw new IllegalArgumentException(
            "rim.algorithm is " + algorithm + ", expected " + TreeDigest.ALGORITHM);
      }
      requireMatch("rim.digest", digest, HEX64);
    }
  }

  /**
   * One payload file.
   *
   * @param path relative path below {@code payload/}
   * @param size length in bytes
   * @param mode POSIX permission bits, four octal digits; setuid, setgid and sticky are refused
   * @param sha256 SHA-256 of the content, lower-case hex
   */
  @JsonPropertyOrder({"path", "size", "mode", "sha256"})
  public record FileEntry(String path, long size, String mode, String sha256) {
    public FileEntry {
      requirePresent("files[].path", path);
      if (size < 0) {
        throw new IllegalArgumentException("files[].size < 0 for " + path + ": " + size);
      }
      requireMatch("files[].mode of " + path, mode, MODE);
      requireMatch("files[].sha256 of " + path, sha256, HEX64);
    }

    /** The mode as an int, for example {@code 0755}. */
    public int modeBits() {
      return Integer.parseInt(mode, 8);
    }

    /** The ZIP entry name that carries this file. */
    public String entryName() {
      return BundleLayout.PAYLOAD_PREFIX + path;
    }
  }

  /**
   * A scan report carried in the bundle and covered by the signature.
   *
   * @param path entry name, below {@code neguard/scan/}
   * @param size length in bytes
   * @param sha256 SHA-256 of the report, lower-case hex
   */
  @JsonPropertyOrder({"path", "size", "sha256"})
  public record ScanReportRef(String path, long size, String sha256) {
    public ScanReportRef {
      requirePresent("scanReports[].path", path);
      if (size < 0) {
        throw new IllegalArgumentException("scanReports[].size < 0 for " + path + ": " + size);
      }
      requireMatch("scanReports[].sha256 of " + path, sha256, HEX64);
    }
  }

  /**
   * The CycloneDX SBOM carried in the bundle and covered by the signature (docs/FORMAT.md).
   *
   * @param path entry name: always {@link BundleLayout#SBOM}
   * @param size length in bytes
   * @param sha256 SHA-256 of the SBOM, lower-case hex
   */
  @JsonPropertyOrder({"path", "size", "sha256"})
  public record SbomRef(String path, long size, String sha256) {
    public SbomRef {
      requirePresent("sbom.path", path);
      if (size < 0) {
        throw new IllegalArgumentException("sbom.size < 0: " + size);
      }
      requireMatch("sbom.sha256", sha256, HEX64);
    }
  }

  /** Sum of the payload sizes. */
  public long payloadBytes() {
    long sum = 0;
    for (FileEntry f : files) {
      sum = f.size() > Long.MAX_VALUE - sum ? Long.MAX_VALUE : sum + f.size();
    }
    return sum; // saturates instead of wrapping past the payload limit
  }

  private static void requirePresent(String field, Object value) {
    if (value == null) {
      throw new IllegalArgumentException("missing field: " + field);
    }
  }

  private static void requireMatch(String field, String value, Pattern pattern) {
    requirePresent(field, value);
    if (!pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + " '" + PackagePath.printable(value) + "' does not match " + pattern.pattern());
    }
  }
}
