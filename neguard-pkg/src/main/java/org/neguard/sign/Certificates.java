package org.neguard.sign;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Reading certificates and CRLs from PEM or DER files, as openssl writes them. */
public final class Certificates {
  private Certificates() {}

  /**
   * Reads every certificate in a PEM bundle or a DER file.
   *
   * @throws IOException if the file cannot be read
   * @throws RefusalException {@code BAD_INPUT} if it holds no certificate or a broken one
   */
  public static List<X509Certificate> read(Path file) throws IOException, RefusalException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      List<X509Certificate> certs = new ArrayList<>();
      for (var c : factory().generateCertificates(new ByteArrayInputStream(bytes))) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new RefusalException(
            ReasonCode.BAD_INPUT, "no certificate in " + file + " (expected PEM or DER)");
      }
      return List.copyOf(certs);
    } catch (CertificateException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot read certificates from " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads every CRL in a PEM bundle or a DER file.
   *
   * @throws IOException if the file cannot be read
   * @throws RefusalException {@code BAD_INPUT} if it holds no CRL or a broken one
   */
  public static List<X509CRL> readCrls(Path file) throws IOException, RefusalException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      List<X509CRL> crls = new ArrayList<>();
      for (var c : factory().generateCRLs(new ByteArrayInputStream(bytes))) {
        crls.add((X509CRL) c);
      }
      if (crls.isEmpty()) {
        throw new RefusalException(
            ReasonCode.BAD_INPUT, "no CRL in " + file + " (expected PEM or DER)");
      }
      return List.copyOf(crls);
    } catch (CRLException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot read CRLs from " + file + ": " + e.getMessage(), e);
    }
  }

  /** The codeSigning extended key usage, id-kp-codeSigning (RFC 5280 4.2.1.12). */
  public static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

  /** Whether {@code cert} names codeSigning among its extended key usages. */
  public static boolean isForCodeSigning(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku != null && eku.contains(CODE_SIGNING);
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  /** The SHA-256 fingerprint of a certificate's DER encoding, lower-case hex. */
  public static String fingerprint(X509Certificate cert) {
    try {
      return Sha256.hex(cert.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode a parsed certificate", e);
    }
  }

  /** The subject as RFC 2253 text. */
  public static String subject(X509Certificate cert) {
    return cert.getSubjectX500Principal().getName();
  }

  static CertificateFactory factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new AssertionError("every Java platform has X.509", e);
    }
  }
}
