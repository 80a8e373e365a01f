package org.neguard.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.DemoPki;
import org.neguard.pki.KeyType;
import org.neguard.sign.KeyMaterial;
import org.neguard.sign.TrustStore;

/**
 * A PKI made in memory for tests: a root CA, and signers issued by it in good and deliberately
 * broken shapes. Shared with other modules' tests through the test-jar.
 */
public final class TestPki {
  public final KeyPair rootKey;
  public final X509Certificate root;

  private TestPki(KeyPair rootKey, X509Certificate root) {
    this.rootKey = rootKey;
    this.root = root;
  }

  /** A fresh EC P-256 root CA, valid from an hour ago for ten years. */
  public static TestPki create() {
    return create("CN=Test Root CA,O=NEGuard Tests");
  }

  public static TestPki create(String subject) {
    KeyPair key = KeyType.EC_P256.generate();
    Instant now = Instant.now();
    X509Certificate root =
        CertificateIssuer.forSubject(subject, key.getPublic())
            .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(3650)))
            .ca()
            .selfSigned(key.getPrivate());
    return new TestPki(key, root);
  }

  /** A signer: its key, its certificate, the intermediates to embed. */
  public record Signer(KeyPair key, X509Certificate cert, List<X509Certificate> chain) {
    public KeyMaterial material(KeyMaterial.RsaPadding padding) {
      try {
        return KeyMaterial.of(key.getPrivate(), cert, chain, padding);
      } catch (org.neguard.verdict.RefusalException e) {
        throw new IllegalStateException(e);
      }
    }

    public KeyMaterial material() {
      return material(KeyMaterial.RsaPadding.PSS);
    }

    /** Writes {@code name}.key (PKCS#8 PEM) and {@code name}.pem into {@code dir}. */
    public Path[] writePem(Path dir, String name) throws IOException {
      Path key = dir.resolve(name + ".key");
      Path cert = dir.resolve(name + ".pem");
      Files.writeString(key, DemoPki.pem(new JcaPKCS8Generator(this.key.getPrivate(), null)),
          StandardCharsets.US_ASCII);
      StringBuilder certs = new StringBuilder(DemoPki.pem(this.cert));
      for (X509Certificate c : chain) {
        certs.append(DemoPki.pem(c));
      }
      Files.writeString(cert, certs.toString(), StandardCharsets.US_ASCII);
      return new Path[] {key, cert};
    }
  }

  /** A valid code signer of the given key type, issued by the root. */
  public Signer codeSigner(KeyType type) {
    return signer(type, Instant.now().minus(Duration.ofHours(1)),
        Instant.now().plus(Duration.ofDays(365)), true);
  }

  /** An EC P-256 code signer issued by the root. */
  public Signer codeSigner() {
    return codeSigner(KeyType.EC_P256);
  }

  /** A signer issued by the root with any validity and with or without codeSigning. */
  public Signer signer(KeyType type, Instant notBefore, Instant notAfter, boolean codeSigning) {
    KeyPair key = type.generate();
    CertificateIssuer issuer =
        CertificateIssuer.forSubject("CN=Test Signer " + type + " " + System.nanoTime()
                + ",O=NEGuard Tests", key.getPublic())
            .validity(notBefore, notAfter);
    if (codeSigning) {
      issuer.codeSigning();
    }
    return new Signer(key, issuer.issuedBy(root, rootKey.getPrivate()), List.of());
  }

  /** A code signer under an intermediate CA; the intermediate is in the signer's chain. */
  public Signer codeSignerViaIntermediate() {
    KeyPair mid = KeyType.EC_P256.generate();
    Instant now = Instant.now();
    X509Certificate midCert =
        CertificateIssuer.forSubject("CN=Test Intermediate CA,O=NEGuard Tests", mid.getPublic())
            .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1000)))
            .ca()
            .issuedBy(root, rootKey.getPrivate());
    KeyPair key = KeyType.EC_P256.generate();
    X509Certificate cert =
        CertificateIssuer.forSubject("CN=Test Signer via Intermediate,O=NEGuard Tests",
                key.getPublic())
            .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)))
            .codeSigning()
            .issuedBy(midCert, mid.getPrivate());
    return new Signer(key, cert, List.of(midCert));
  }

  /** A self-signed code-signing certificate, chained to nothing. */
  public static Signer selfSigned() {
    KeyPair key = KeyType.EC_P256.generate();
    Instant now = Instant.now();
    X509Certificate cert =
        CertificateIssuer.forSubject("CN=Self Signed Signer,O=Nobody", key.getPublic())
            .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(365)))
            .codeSigning()
            .selfSigned(key.getPrivate());
    return new Signer(key, cert, List.of());
  }

  /** A CRL of the root revoking {@code revoked}, current for a week. */
  public X509CRL crl(X509Certificate... revoked) {
    return crl(Instant.now().minus(Duration.ofMinutes(10)),
        Instant.now().plus(Duration.ofDays(7)), revoked);
  }

  /** A CRL of the root, current for a week, signed with {@code signatureAlgorithm} (JCA name). */
  public X509CRL crl(String signatureAlgorithm) {
    return crl(Instant.now().minus(Duration.ofMinutes(10)), Instant.now().plus(Duration.ofDays(7)),
        signatureAlgorithm);
  }

  /** A CRL of the root with explicit thisUpdate/nextUpdate. */
  public X509CRL crl(Instant thisUpdate, Instant nextUpdate, X509Certificate... revoked) {
    return crl(thisUpdate, nextUpdate, "SHA256withECDSA", revoked);
  }

  private X509CRL crl(Instant thisUpdate, Instant nextUpdate, String signatureAlgorithm,
      X509Certificate... revoked) {
    try {
      X509v2CRLBuilder b = new JcaX509v2CRLBuilder(root, Date.from(thisUpdate));
      b.setNextUpdate(Date.from(nextUpdate));
      for (X509Certificate c : revoked) {
        b.addCRLEntry(c.getSerialNumber(), Date.from(thisUpdate), CRLReason.keyCompromise);
      }
      return new JcaX509CRLConverter().getCRL(
          b.build(new JcaContentSignerBuilder(signatureAlgorithm).build(rootKey.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Trust in this root alone. */
  public TrustStore trust() {
    return new TrustStore(List.of(root), List.of());
  }

  /** Trust in this root with CRLs. */
  public TrustStore trust(X509CRL... crls) {
    return new TrustStore(List.of(root), List.of(crls));
  }

  /** Writes the root certificate as PEM. */
  public Path writeRoot(Path file) throws IOException {
    Files.writeString(file, DemoPki.pem(root), StandardCharsets.US_ASCII);
    return file;
  }

  /** Writes a CRL as PEM. */
  public static Path writeCrl(Path file, X509CRL crl) throws IOException {
    Files.writeString(file, DemoPki.pem(crl), StandardCharsets.US_ASCII);
    return file;
  }
}
