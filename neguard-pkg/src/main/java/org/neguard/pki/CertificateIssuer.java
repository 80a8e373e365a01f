package org.neguard.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues X.509 certificates: the demo PKI's and the test suite's. One builder for CA, code-signing
 * and deliberately broken certificates (expired, without codeSigning) alike.
 *
 * <p>Not thread-safe; use one builder per certificate.
 */
public final class CertificateIssuer {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X500Principal subject;
  private final PublicKey publicKey;
  private Instant notBefore = Instant.now().minusSeconds(300);
  private Instant notAfter = Instant.now().plusSeconds(365L * 24 * 3600);
  private boolean ca;
  private boolean codeSigning;
  private Integer keyUsage;

  private CertificateIssuer(X500Principal subject, PublicKey publicKey) {
    this.subject = Objects.requireNonNull(subject, "subject");
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
  }

  /** Starts a certificate for {@code subject} (RFC 2253, {@code CN=...,O=...}). */
  public static CertificateIssuer forSubject(String subject, PublicKey publicKey) {
    return new CertificateIssuer(new X500Principal(subject), publicKey);
  }

  public CertificateIssuer validity(Instant notBefore, Instant notAfter) {
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter <= notBefore: " + notAfter);
    }
    this.notBefore = notBefore;
    this.notAfter = notAfter;
    return this;
  }

  /** A CA: basicConstraints cA=true, keyCertSign and cRLSign. */
  public CertificateIssuer ca() {
    this.ca = true;
    return this;
  }

  /** A code signer: extendedKeyUsage codeSigning, keyUsage digitalSignature. */
  public CertificateIssuer codeSigning() {
    this.codeSigning = true;
    return this;
  }

  /** Overrides the key usage bits ({@link KeyUsage} constants). */
  public CertificateIssuer keyUsage(int bits) {
    this.keyUsage = bits;
    return this;
  }

  /** Signs the certificate with its own key. */
  public X509Certificate selfSigned(PrivateKey key) {
    return sign(subject, key, null);
  }

  /** Signs the certificate with {@code issuer}'s key. */
  public X509Certificate issuedBy(X509Certificate issuer, PrivateKey issuerKey) {
    return sign(issuer.getSubjectX500Principal(), issuerKey, issuer);
  }

  private X509Certificate sign(X500Principal issuerName, PrivateKey issuerKey,
      X509Certificate issuer) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              new BigInteger(127, RANDOM).add(BigInteger.ONE),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              publicKey);
      b.addExtension(Extension.subjectKeyIdentifier, false,
          utils.createSubjectKeyIdentifier(publicKey));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          issuer == null
              ? utils.createAuthorityKeyIdentifier(publicKey)
              : utils.createAuthorityKeyIdentifier(issuer));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      int usage = keyUsage != null
          ? keyUsage
          : ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature;
      b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      if (codeSigning) {
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder(signatureAlgorithm(issuerKey))
              .build(issuerKey)));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + subject, e);
    }
  }

  /** The algorithm a key of this type signs certificates with. */
  static String signatureAlgorithm(PrivateKey key) {
    return switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("unsupported key: " + key.getAlgorithm());
    };
  }
}
