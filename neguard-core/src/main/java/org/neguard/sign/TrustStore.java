package org.neguard.sign;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The trust anchors a verifier accepts signers from, and the CRLs it checks them against.
 *
 * @param anchors root (or pinned intermediate) CA certificates; never empty
 * @param crls revocation lists; when not empty, every certificate on a signer's path must be
 *     covered by a current CRL from its issuer (fail closed)
 */
public record TrustStore(List<X509Certificate> anchors, List<X509CRL> crls) {
  public TrustStore {
    anchors = List.copyOf(anchors);
    crls = List.copyOf(crls);
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("anchors is empty");
    }
  }

  /**
   * Loads anchors from PEM/DER files or directories of them ({@code *.pem}, {@code *.crt},
   * {@code *.cer}, {@code *.der}), and CRLs from PEM/DER files.
   *
   * @throws IOException if a file cannot be read
   * @throws RefusalException {@code TRUST_CONFIG} if no anchor is found or a file is unreadable
   */
  public static TrustStore load(List<Path> anchorPaths, List<Path> crlPaths)
      throws IOException, RefusalException {
    List<X509Certificate> anchors = new ArrayList<>();
    try {
      for (Path p : anchorPaths) {
        if (Files.isDirectory(p)) {
          try (DirectoryStream<Path> dir = Files.newDirectoryStream(p, "*.{pem,crt,cer,der}")) {
            List<Path> files = new ArrayList<>();
            dir.forEach(files::add);
            files.sort(null);
            for (Path f : files) {
              anchors.addAll(Certificates.read(f));
            }
          }
        } else {
          anchors.addAll(Certificates.read(p));
        }
      }
      List<X509CRL> crls = new ArrayList<>();
      for (Path p : crlPaths) {
        crls.addAll(Certificates.readCrls(p));
      }
      if (anchors.isEmpty()) {
        throw new RefusalException(
            ReasonCode.TRUST_CONFIG, "no trust anchor found in " + anchorPaths);
      }
      return new TrustStore(anchors, crls);
    } catch (RefusalException e) {
      if (e.code() == ReasonCode.TRUST_CONFIG) {
        throw e;
      }
      throw new RefusalException(ReasonCode.TRUST_CONFIG, e.reasons().get(0).message(), e);
    }
  }
}
