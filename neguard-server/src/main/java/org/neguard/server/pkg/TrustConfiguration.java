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
    return TrustStore.load(anchors, files(dataDir.trustCrls(), "*.{pem,crl,der}"));
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
