package org.neguard.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
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
 * Issues X.509 certificates: the demo PKI's, the test suite's, and the server's device CA's (device
 * certificates with clientAuth, the agents' port's TLS certificate with serverAuth). One builder
 * for CA, code-signing, TLS and deliberately broken certificates (expired, without codeSigning)
 * alike.
 *
 * <p>Not thread-safe; use one builder per certificate.
 */
public final class CertificateIssuer {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** An IPv4 literal, or an IPv6 one (with at least one colon), optionally in brackets. */
  private static final Pattern IP_LITERAL =
      Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*]?");

  private final X500Principal subject;
  private final PublicKey publicKey;
  private Instant notBefore = Instant.now().minusSeconds(300);
  private Instant notAfter = Instant.now().plusSeconds(365L * 24 * 3600);
  private boolean ca;
  private boolean codeSigning;
  private boolean clientAuth;
  private boolean serverAuth;
  private final List<GeneralName> altNames = new ArrayList<>();
  private Integer keyUsage;
  private BigInteger serial = new BigInteger(127, RANDOM).add(BigInteger.ONE);

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

  /** A TLS client (a device): extendedKeyUsage clientAuth, keyUsage digitalSignature. */
  public CertificateIssuer clientAuth() {
    this.clientAuth = true;
    return this;
  }

  /** A TLS server: extendedKeyUsage serverAuth, keyUsage digitalSignature. */
  public CertificateIssuer serverAuth() {
    this.serverAuth = true;
    return this;
  }

  /**
   * Adds subjectAltNames: an IPv4 or IPv6 literal becomes an iPAddress name, anything else a
   * dNSName. Names are added once, in the order given.
   *
   * @throws IllegalArgumentException naming the value, for an empty or blank name
   */
  public CertificateIssuer subjectAltNames(List<String> names) {
    for (String n : names) {
      if (n == null || n.isBlank()) {
        throw new IllegalArgumentException("empty subjectAltName in " + names);
      }
      GeneralName g = IP_LITERAL.matcher(n).matches()
          ? new GeneralName(GeneralName.iPAddress, n.startsWith("[")
              ? n.substring(1, n.length() - 1) : n)
          : new GeneralName(GeneralName.dNSName, n);
      if (!altNames.contains(g)) {
        altNames.add(g);
      }
    }
    return this;
  }

  /**
   * The serial number to issue with, instead of a random 127-bit one.
   *
   * @throws IllegalArgumentException for a serial that is not positive or longer than 20 octets
   *     (RFC 5280, 4.1.2.2)
   */
  public CertificateIssuer serial(BigInteger serial) {
    if (serial.signum() <= 0 || serial.bitLength() > 159) {
      throw new IllegalArgumentException("serial not positive or over 20 octets: " + serial);
    }
    this.serial = serial;
    return this;
  }

  /** The serial the certificate is (or will be) issued with: given, or chosen at random. */
  public BigInteger serial() {
    return serial;
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
              serial,
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
      List<KeyPurposeId> purposes = new ArrayList<>();
      if (codeSigning) {
        purposes.add(KeyPurposeId.id_kp_codeSigning);
      }
      if (serverAuth) {
        purposes.add(KeyPurposeId.id_kp_serverAuth);
      }
      if (clientAuth) {
        purposes.add(KeyPurposeId.id_kp_clientAuth);
      }
      if (!purposes.isEmpty()) {
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
      }
      if (!altNames.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(altNames.toArray(GeneralName[]::new)));
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
