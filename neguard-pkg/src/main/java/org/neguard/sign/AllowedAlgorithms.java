package org.neguard.sign;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The allow-list of algorithms a signature, a certificate on its path and a CRL may use
 * (docs/FORMAT.md, "Algorithms"); anything else is {@code ALGORITHM_NOT_ALLOWED}.
 *
 * <p>Digests: SHA-256, SHA-384, SHA-512. Signatures: RSA PKCS#1 v1.5 and RSASSA-PSS with those
 * digests (PSS hash and MGF1 hash both), ECDSA with those digests, Ed25519. Keys: RSA of at least
 * 2048 bits, EC on P-256 or P-384 (named curves only), Ed25519.
 *
 * <p>Judged on the ASN.1 encoding, not on what a JCA provider happens to parse, so a key the JDK
 * cannot even load (secp256k1) is refused as a disallowed algorithm rather than as damage.
 */
public final class AllowedAlgorithms {
  /** The smallest RSA modulus accepted, in bits. */
  public static final int MIN_RSA_BITS = 2048;

  /** Allowed digests and their output lengths in bytes. */
  private static final Map<ASN1ObjectIdentifier, Integer> DIGESTS = Map.of(
      NISTObjectIdentifiers.id_sha256, 32,
      NISTObjectIdentifiers.id_sha384, 48,
      NISTObjectIdentifiers.id_sha512, 64);

  /** Signature algorithms whose OID names their digest: nothing more to check. */
  private static final Set<ASN1ObjectIdentifier> SIGNATURES = Set.of(
      PKCSObjectIdentifiers.sha256WithRSAEncryption,
      PKCSObjectIdentifiers.sha384WithRSAEncryption,
      PKCSObjectIdentifiers.sha512WithRSAEncryption,
      X9ObjectIdentifiers.ecdsa_with_SHA256,
      X9ObjectIdentifiers.ecdsa_with_SHA384,
      X9ObjectIdentifiers.ecdsa_with_SHA512,
      EdECObjectIdentifiers.id_Ed25519);

  private static final Set<ASN1ObjectIdentifier> CURVES =
      Set.of(SECObjectIdentifiers.secp256r1, SECObjectIdentifiers.secp384r1);

  private AllowedAlgorithms() {}

  /**
   * Checks a CMS signer's digest algorithm, its signature algorithm and the length of its
   * message-digest attribute.
   */
  public static void checkSigner(SignerInformation signer, String subject)
      throws RefusalException {
    AlgorithmIdentifier digest = signer.getDigestAlgorithmID();
    checkDigest(digest, subject, "the signature's digest algorithm");
    AlgorithmIdentifier signature = signer.toASN1Structure().getDigestEncryptionAlgorithm();
    // CMS names RSA PKCS#1 v1.5 by the key's OID (RFC 3370); the digest is the one just checked.
    if (!PKCSObjectIdentifiers.rsaEncryption.equals(signature.getAlgorithm())) {
      checkSignatureAlgorithm(signature, subject, "the signature");
    }
    AttributeTable attributes;
    try {
      attributes = signer.getSignedAttributes();
    } catch (RuntimeException e) {
      throw new RefusalException(
          ReasonCode.SIGNATURE_INVALID, "the signature's signed attributes are malformed", e);
    }
    Attribute md = attributes == null ? null : attributes.get(CMSAttributes.messageDigest);
    if (md == null || md.getAttrValues().size() != 1
        || !(md.getAttrValues().getObjectAt(0) instanceof ASN1OctetString value)) {
      throw new RefusalException(
          ReasonCode.SIGNATURE_INVALID, "the signature has no single message-digest attribute");
    }
    int expected = DIGESTS.get(digest.getAlgorithm());
    if (value.getOctets().length != expected) {
      throw refused(subject, "the message-digest attribute has " + value.getOctets().length
          + " bytes, not the " + expected + " of " + name(digest.getAlgorithm())
          + "; it was made with another digest than the one declared");
    }
  }

  /** Checks a certificate's own signature algorithm and its public key. */
  public static void checkCertificate(X509Certificate cert, String role) throws RefusalException {
    X509CertificateHolder holder = holder(cert);
    String subject = Certificates.subject(cert);
    checkSignatureAlgorithm(holder.getSignatureAlgorithm(), subject,
        role + " '" + subject + "'");
    checkKey(holder.getSubjectPublicKeyInfo(), subject, role + " '" + subject + "'");
  }

  /** Checks a trust anchor's key; its self-signature says nothing and is not judged. */
  public static void checkAnchor(X509Certificate anchor) throws RefusalException {
    String subject = Certificates.subject(anchor);
    checkKey(holder(anchor).getSubjectPublicKeyInfo(), subject,
        "trust anchor '" + subject + "'");
  }

  /** Checks the signature algorithm of a CRL. */
  public static void checkCrl(X509CRL crl) throws RefusalException {
    AlgorithmIdentifier alg;
    try {
      alg = CertificateList.getInstance(crl.getEncoded()).getSignatureAlgorithm();
    } catch (java.security.cert.CRLException | RuntimeException e) {
      throw new RefusalException(ReasonCode.CRL_INVALID, "a CRL cannot be re-encoded", e);
    }
    String issuer = crl.getIssuerX500Principal().getName();
    checkSignatureAlgorithm(alg, issuer, "the CRL of '" + issuer + "'");
  }

  /** Checks a public key: RSA of at least 2048 bits, EC P-256 or P-384, Ed25519. */
  public static void checkKey(SubjectPublicKeyInfo key, String subject, String what)
      throws RefusalException {
    ASN1ObjectIdentifier type = key.getAlgorithm().getAlgorithm();
    if (PKCSObjectIdentifiers.rsaEncryption.equals(type)
        || PKCSObjectIdentifiers.id_RSASSA_PSS.equals(type)) {
      int bits;
      try {
        bits = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
      } catch (IOException | RuntimeException e) {
        throw refused(subject, what + " has a malformed RSA key");
      }
      if (bits < MIN_RSA_BITS) {
        throw refused(subject, what + " has a " + bits + "-bit RSA key; at least "
            + MIN_RSA_BITS + " bits are required: re-issue it with a stronger key");
      }
      return;
    }
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(type)) {
      ASN1Encodable params = key.getAlgorithm().getParameters();
      if (params instanceof ASN1ObjectIdentifier curve && CURVES.contains(curve)) {
        return;
      }
      String curveName = params instanceof ASN1ObjectIdentifier c ? curveName(c)
          : "explicitly parameterised curve";
      throw refused(subject, what + " has an EC key on " + curveName
          + "; only P-256 and P-384 are allowed: re-issue it on one of them");
    }
    if (EdECObjectIdentifiers.id_Ed25519.equals(type)) {
      return;
    }
    throw refused(subject, what + " has a " + name(type) + " key; allowed are RSA (at least "
        + MIN_RSA_BITS + " bits), EC P-256/P-384 and Ed25519");
  }

  private static void checkDigest(AlgorithmIdentifier digest, String subject, String what)
      throws RefusalException {
    if (!DIGESTS.containsKey(digest.getAlgorithm())) {
      throw refused(subject, what + " is " + name(digest.getAlgorithm())
          + "; allowed are SHA-256, SHA-384 and SHA-512: re-sign with one of them");
    }
  }

  private static void checkSignatureAlgorithm(
      AlgorithmIdentifier alg, String subject, String what) throws RefusalException {
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (SIGNATURES.contains(oid)) {
      return;
    }
    if (PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
      RSASSAPSSparams pss;
      try {
        // Absent parameters mean SHA-1 for both hashes (RFC 4055), which the check below refuses.
        ASN1Encodable p = alg.getParameters();
        pss = p == null || p instanceof DERNull
            ? RSASSAPSSparams.getInstance(new org.bouncycastle.asn1.DERSequence())
            : RSASSAPSSparams.getInstance(p);
      } catch (RuntimeException e) {
        throw refused(subject, what + " has malformed RSASSA-PSS parameters");
      }
      checkDigest(pss.getHashAlgorithm(), subject, what + " uses RSASSA-PSS whose hash");
      AlgorithmIdentifier mgf = pss.getMaskGenAlgorithm();
      if (!PKCSObjectIdentifiers.id_mgf1.equals(mgf.getAlgorithm())) {
        throw refused(subject, what + " uses RSASSA-PSS with the mask generation function "
            + mgf.getAlgorithm() + "; only MGF1 is allowed");
      }
      AlgorithmIdentifier mgfHash;
      try {
        mgfHash = AlgorithmIdentifier.getInstance(mgf.getParameters());
      } catch (RuntimeException e) {
        throw refused(subject, what + " has malformed MGF1 parameters");
      }
      checkDigest(mgfHash, subject, what + " uses RSASSA-PSS whose MGF1 hash");
      return;
    }
    throw refused(subject, what + " is signed with " + name(oid) + "; allowed are RSA"
        + " (PKCS#1 v1.5 or PSS), ECDSA with SHA-256/384/512, and Ed25519");
  }

  private static X509CertificateHolder holder(X509Certificate cert) throws RefusalException {
    try {
      return new X509CertificateHolder(cert.getEncoded());
    } catch (CertificateEncodingException | IOException e) {
      throw new RefusalException(ReasonCode.SIGNATURE_INVALID,
          "certificate '" + Certificates.subject(cert) + "' cannot be re-encoded", e);
    }
  }

  private static String name(ASN1ObjectIdentifier oid) {
    String n = new DefaultAlgorithmNameFinder().getAlgorithmName(oid);
    return n.equals(oid.getId()) ? oid.getId() : n + " (" + oid.getId() + ")";
  }

  private static String curveName(ASN1ObjectIdentifier oid) {
    String n = org.bouncycastle.asn1.x9.ECNamedCurveTable.getName(oid);
    return n == null ? oid.getId() : n + " (" + oid.getId() + ")";
  }

  private static RefusalException refused(String subject, String message) {
    return RefusalException.about(ReasonCode.ALGORITHM_NOT_ALLOWED, subject, message);
  }
}
