package org.neguard.server.pkg;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neguard.server.DataDir;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.stereotype.Component;

/**
 * The server's own trust configuration for ingest (SRC-2): vendor CA certificates in {@code
 * DATA/trust/anchors/}, CRLs in {@code DATA/trust/crls/}. Read at every upload, so a new CRL
 * takes effect without a restart. No anchor means no upload is accepted (fail closed).
 *
 * <p>An anchor {@code X.pem} is bound to vendors by a file {@code X.pem.vendors} beside it: one
 * vendor name per line, exactly as manifests spell it ({@code neguard server --trust
 * "VENDOR=CA.pem"} writes it). The binding rules are core's ({@link TrustStore#speaksFor}).
 * Thread-safe.
 */
@Component
public final class TrustConfiguration {
  private final DataDir dataDir;

  TrustConfiguration(DataDir dataDir) {
    this.dataDir = dataDir;
  }

  /**
   * The current trust store.
   *
   * @throws RefusalException {@code TRUST_CONFIG} when there is no anchor or a file is unreadable
   */
  public TrustStore load() throws IOException, RefusalException {
    List<Path> anchors = files(dataDir.trustAnchors(), "*.{pem,crt,cer,der}");
    if (anchors.isEmpty()) {
      throw new RefusalException(
          ReasonCode.TRUST_CONFIG,
          "the server has no trust anchor, so it accepts no package: put the vendor CA"
              + " certificates (PEM) in " + dataDir.trustAnchors()
              + " or start the server with --trust CA.pem");
    }
    List<TrustStore.AnchorFile> bound = new ArrayList<>();
    for (Path anchor : anchors) {
      List<String> vendors = vendors(anchor);
      if (vendors == null) {
        bound.add(new TrustStore.AnchorFile(anchor, null));
      }
      for (String v : vendors == null ? List.<String>of() : vendors) {
        bound.add(new TrustStore.AnchorFile(anchor, v));
      }
    }
    return TrustStore.loadBound(bound, files(dataDir.trustCrls(), "*.{pem,crl,der}"));
  }

  /** The vendor names bound to {@code anchor}, or null when it has no binding file. */
  private static List<String> vendors(Path anchor) throws IOException, RefusalException {
    Path file = DataDir.vendorsFile(anchor);
    if (!Files.exists(file)) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    if (names.isEmpty()) {
      throw new RefusalException(
          ReasonCode.TRUST_CONFIG,
          "the vendor binding " + file + " names no vendor: write one vendor name per line, or"
              + " delete it to leave the anchor unbound");
    }
    try {
      for (String n : names) {
        new TrustStore.AnchorFile(anchor, n);
      }
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.TRUST_CONFIG, file + ": " + e.getMessage(), e);
    }
    return names;
  }

  private static List<Path> files(Path dir, String glob) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, glob)) {
      for (Path p : ds) {
        if (Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    return files;
  }
}
