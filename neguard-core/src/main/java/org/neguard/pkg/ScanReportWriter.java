package org.neguard.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Puts scan reports into an unsigned bundle: each under {@link BundleLayout#SCAN_PREFIX}, listed
 * in the manifest with its size and SHA-256, so that the vendor's signature will cover them
 * (AV-3, INT-4). The reports replace any the bundle carried. The bundle is rewritten whole
 * (payload entries copied without recompression) and moved into place, so a failure leaves the
 * input untouched.
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
    Map<String, byte[]> ordered = new LinkedHashMap<>(reports);
    List<Manifest.ScanReportRef> refs = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : ordered.entrySet()) {
      refs.add(new Manifest.ScanReportRef(e.getKey(), e.getValue().length, Sha256.hex(e.getValue())));
    }
    Manifest old = reader.manifest();
    Manifest manifest = new Manifest(
        old.format(), old.name(), old.version(), old.securityVersion(), old.neType(),
        old.vendor(), old.created(), old.rim(), old.files(), refs);
    byte[] manifestBytes = ManifestCodec.encode(manifest);
    ManifestCodec.decode(manifestBytes); // the same checks every reader applies to report names
    FileTime time = FileTime.from(Instant.parse(old.created()));
    Path dir = out.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + out.getFileName() + ".", ".partial");
    boolean done = false;
    try {
      try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(tmp)) {
        zip.setEncoding("UTF-8");
        put(zip, BundleLayout.MANIFEST, manifestBytes, time);
        for (Map.Entry<String, byte[]> e : ordered.entrySet()) {
          put(zip, e.getKey(), e.getValue(), time);
        }
        reader.copyRawEntries(zip, name -> name.startsWith(BundleLayout.PAYLOAD_PREFIX));
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
    return manifest;
  }

  /**
   * Refuses a signed bundle: its signature covers the manifest that new reports would change.
   * Scanners call this before scanning, so nobody waits for a scan that cannot be written.
   *
   * @throws RefusalException {@code STRUCTURE} if {@code reader}'s bundle is signed
   */
  public static void requireUnsigned(BundleReader reader) throws RefusalException {
    if (reader.signature().isPresent()) {
      throw new RefusalException(
          ReasonCode.STRUCTURE,
          "the package is already signed; scan reports change the manifest the signature covers."
              + " Scan the unsigned package, then sign it");
    }
  }

  private static void put(ZipArchiveOutputStream zip, String name, byte[] bytes, FileTime time)
      throws IOException {
    ZipArchiveEntry e = BundleBuilder.entry(name, 0644, time, true);
    zip.putArchiveEntry(e);
    zip.write(bytes);
    zip.closeArchiveEntry();
  }
}
