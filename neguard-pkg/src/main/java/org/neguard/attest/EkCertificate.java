package org.neguard.attest;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.PublicKey;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The check that an endorsement key belongs to a genuine TPM (docs/MEASUREMENT.md, "EK
 * certificates"): its certificate, read from the TPM's NV index, must chain to one of the
 * manufacturers' CA certificates the server was configured with, carry the EK certificate's
 * extended key usage ({@link #EK_CERTIFICATE_USAGE}), and certify exactly the EK the device
 * presented. Without it, a device could present a software "TPM" whose EK it made itself.
 * Stateless.
 */
public final class EkCertificate {
  /**
   * tcg-kp-EKCertificate, the extended key usage TCG's EK Credential Profile gives EK
   * certificates: a certificate of the manufacturer's CA without it is not one.
   */
  public static final String EK_CERTIFICATE_USAGE = "2.23.133.8.1";

  /** An EK certificate is one or two KiB; anything far larger is not one. */
  public static final int MAX_BYTES = 8192;

  private EkCertificate() {}

  /**
   * Verifies {@code certificateDer} for {@code ek} against {@code anchors}.
   *
   * @param anchors CA certificates: self-signed ones are trust anchors, the others
   *     intermediates a path may use
   * @param at the time the path is checked at
   * @return the verified EK certificate
   * @throws RefusalException SIZE_LIMIT, MALFORMED (not a certificate), CERT_UNTRUSTED (no
   *     certificate while anchors are configured, or no path to an anchor: another
   *     manufacturer's, a self-made CA; or a certificate of a trusted CA without the EK
   *     certificate's extended key usage), DEVICE_MISMATCH (a genuine certificate of another
   *     TPM's EK)
   */
  public static X509Certificate verify(byte[] certificateDer, TpmPublic ek,
      List<X509Certificate> anchors, Date at) throws RefusalException {
    if (certificateDer == null) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED, "the TPM sent no endorsement key"
          + " certificate, and this server accepts only EKs certified by a configured TPM"
          + " manufacturer: provision the EK certificate into NV index 0x01c00002, or ask the"
          + " server's operator for the manufacturer's CA");
    }
    if (certificateDer.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "an EK certificate of "
          + certificateDer.length + " bytes: at most " + MAX_BYTES);
    }
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(certificateDer));
    } catch (CertificateException | ClassCastException e) {
      throw new RefusalException(ReasonCode.MALFORMED, "the EK certificate is not an X.509"
          + " certificate: " + e.getMessage());
    }
    Set<TrustAnchor> roots = new HashSet<>();
    List<Object> pool = new ArrayList<>();
    pool.add(cert);
    for (X509Certificate a : anchors) {
      if (a.getSubjectX500Principal().equals(a.getIssuerX500Principal())) {
        roots.add(new TrustAnchor(a, null));
      } else {
        pool.add(a);
      }
    }
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no self-signed CA among the EK trust anchors");
    }
    try {
      X509CertSelector target = new X509CertSelector();
      target.setCertificate(cert);
      PKIXBuilderParameters p = new PKIXBuilderParameters(roots, target);
      // Manufacturers publish no CRLs a server could reach; the anchors are the policy.
      p.setRevocationEnabled(false);
      p.setDate(at);
      p.addCertStore(CertStore.getInstance("Collection",
          new CollectionCertStoreParameters(pool)));
      CertPathBuilder.getInstance("PKIX").build(p);
    } catch (CertPathBuilderException e) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED, "the EK certificate (issuer "
          + cert.getIssuerX500Principal().getName() + ") does not chain to a TPM manufacturer"
          + " CA this server trusts (" + e.getMessage() + "): the TPM is not shown genuine;"
          + " if it is, the server's operator adds its manufacturer's CA (attest.ekTrustAnchors)");
    } catch (InvalidAlgorithmParameterException e) {
      throw new IllegalArgumentException("EK trust anchors unusable: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java platform has PKIX", e);
    }
    // The anchors are manufacturers' CAs, which may issue other certificates too (TLS, firmware
    // signing): only the EK usage makes a certificate of the chain speak for an EK.
    List<String> usages;
    try {
      usages = cert.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new RefusalException(ReasonCode.MALFORMED, "the EK certificate's extended key usage"
          + " extension is not readable: " + e.getMessage());
    }
    if (usages == null || !usages.contains(EK_CERTIFICATE_USAGE)) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED, "the EK certificate (serial "
          + cert.getSerialNumber().toString(16) + ", issuer "
          + cert.getIssuerX500Principal().getName() + ") chains to a trusted TPM manufacturer"
          + " CA but " + (usages == null ? "has no extended key usage" : "its extended key usage "
          + usages + " lacks") + " tcg-kp-EKCertificate (" + EK_CERTIFICATE_USAGE + ", TCG EK"
          + " Credential Profile): it is not an EK certificate (a TLS certificate of the same CA,"
          + " say); provision the TPM's own EK certificate into NV index 0x01c00002");
    }
    if (!sameKey(cert.getPublicKey(), ek.key())) {
      throw new RefusalException(ReasonCode.DEVICE_MISMATCH, "the EK certificate (serial "
          + cert.getSerialNumber().toString(16) + ") certifies another key than the"
          + " endorsement key the device presented: a genuine certificate of another TPM");
    }
    return cert;
  }

  private static boolean sameKey(PublicKey a, PublicKey b) {
    if (a instanceof RSAPublicKey x && b instanceof RSAPublicKey y) {
      return x.getModulus().equals(y.getModulus())
          && x.getPublicExponent().equals(y.getPublicExponent());
    }
    return java.security.MessageDigest.isEqual(a.getEncoded(), b.getEncoded());
  }
}
