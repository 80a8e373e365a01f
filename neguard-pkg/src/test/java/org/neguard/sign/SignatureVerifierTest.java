package org.neguard.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.util.CollectionStore;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.KeyType;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * INT-2: each rule of {@link SignatureVerifier} at its boundary, on CMS built directly with Bouncy
 * Castle so that shapes NEGuard's own signer never makes (two signers, no certificate, no
 * signing time, encapsulated content, long chains) can be tried.
 */
class SignatureVerifierTest {
  static final byte[] CONTENT = "{\"manifest\":1}".getBytes(StandardCharsets.UTF_8);
  static final String VENDOR = "Example Vendor Ltd.";

  static TestPki pki;
  static TestPki.Signer signer;

  @BeforeAll
  static void setUp() {
    pki = TestPki.create();
    signer = pki.codeSigner();
  }

  private static SignatureVerifier verifier(TrustStore trust) {
    return new SignatureVerifier(trust, Clock.systemUTC());
  }

  private static RefusalException refused(
      SignatureVerifier v, byte[] signature, ReasonCode code) {
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> v.verify(CONTENT, signature, VENDOR));
    assertThat(e).as("refused with %s", code).isNotNull();
    assertThat(e.code()).as("%s", e.reasons()).isEqualTo(code);
    return e;
  }

  private static SignerInfoGenerator generator(KeyPair key, X509Certificate cert,
      CMSAttributeTableGenerator signedAttributes) throws Exception {
    JcaSignerInfoGeneratorBuilder b = new JcaSignerInfoGeneratorBuilder(
        new JcaDigestCalculatorProviderBuilder().build());
    if (signedAttributes != null) {
      b.setSignedAttributeGenerator(signedAttributes);
    }
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()), cert);
  }

  /** CMS over CONTENT by the given signers, embedding {@code certs}. */
  private static byte[] cms(List<SignerInfoGenerator> signers, List<X509Certificate> certs,
      boolean encapsulate) throws Exception {
    CMSSignedDataGenerator g = new CMSSignedDataGenerator();
    signers.forEach(g::addSignerInfoGenerator);
    if (!certs.isEmpty()) {
      g.addCertificates(new JcaCertStore(certs));
    }
    return g.generate(new CMSProcessableByteArray(CONTENT), encapsulate).getEncoded();
  }

  private static byte[] signed(TestPki.Signer s) throws Exception {
    return CmsSigner.signDetached(CONTENT, s.material());
  }

  @Test
  @DisplayName("INT-2: a good signature returns every signer detail")
  void verify_good_returnsEveryDetail() throws Exception {
    SignerDetails d = verifier(pki.trust()).verify(CONTENT, signed(signer), VENDOR);

    X509Certificate c = signer.cert();
    assertThat(d.subject()).isEqualTo(Certificates.subject(c));
    assertThat(d.issuer()).isEqualTo(Certificates.subject(pki.root));
    assertThat(d.serialNumber()).isEqualTo(c.getSerialNumber().toString(16));
    assertThat(d.fingerprint()).isEqualTo(Certificates.fingerprint(c));
    assertThat(d.notBefore()).isEqualTo(c.getNotBefore().toInstant());
    assertThat(d.notAfter()).isEqualTo(c.getNotAfter().toInstant());
    assertThat(d.signingTime()).isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(d.signatureAlgorithm()).isEqualTo("SHA256WITHECDSA");
    assertThat(d.path()).containsExactly(Certificates.subject(c), Certificates.subject(pki.root));
  }

  @Test
  @DisplayName("INT-2: two signers are SIGNATURE_INVALID, even when both are good")
  void verify_twoSigners_signatureInvalid() throws Exception {
    TestPki.Signer other = pki.codeSigner();
    byte[] two = cms(List.of(generator(signer.key(), signer.cert(), null),
        generator(other.key(), other.cert(), null)), List.of(signer.cert(), other.cert()), false);

    RefusalException e = refused(verifier(pki.trust()), two, ReasonCode.SIGNATURE_INVALID);
    assertThat(e.reasons().get(0).message()).contains("2 signers");
  }

  @Test
  @DisplayName("INT-2: a signature without the signer's certificate is SIGNATURE_INVALID")
  void verify_signerCertificateNotEmbedded_signatureInvalid() throws Exception {
    byte[] bare = cms(List.of(generator(signer.key(), signer.cert(), null)), List.of(), false);

    RefusalException e = refused(verifier(pki.trust()), bare, ReasonCode.SIGNATURE_INVALID);
    assertThat(e.reasons().get(0).message()).contains("not embedded");
  }

  @Test
  @DisplayName("INT-2: a signature that encapsulates its content is SIGNATURE_INVALID")
  void verify_encapsulatedContent_signatureInvalid() throws Exception {
    byte[] attached = cms(List.of(generator(signer.key(), signer.cert(), null)),
        List.of(signer.cert()), true);

    RefusalException e = refused(verifier(pki.trust()), attached, ReasonCode.SIGNATURE_INVALID);
    assertThat(e.reasons().get(0).message()).contains("detached");
  }

  @Test
  @DisplayName("INT-2: a signature without a signing-time attribute is SIGNATURE_INVALID")
  void verify_noSigningTime_signatureInvalid() throws Exception {
    CMSAttributeTableGenerator noTime = params -> {
      Hashtable<ASN1ObjectIdentifier, Attribute> t = new Hashtable<>();
      t.put(CMSAttributes.contentType, new Attribute(CMSAttributes.contentType,
          new DERSet((ASN1ObjectIdentifier) params.get(CMSAttributeTableGenerator.CONTENT_TYPE))));
      t.put(CMSAttributes.messageDigest, new Attribute(CMSAttributes.messageDigest,
          new DERSet(new DEROctetString(
              (byte[]) params.get(CMSAttributeTableGenerator.DIGEST)))));
      return new AttributeTable(t);
    };
    byte[] sig = cms(List.of(generator(signer.key(), signer.cert(), noTime)),
        List.of(signer.cert()), false);

    RefusalException e = refused(verifier(pki.trust()), sig, ReasonCode.SIGNATURE_INVALID);
    assertThat(e.reasons().get(0).message()).contains("signing-time");
  }

  @Test
  @DisplayName("INT-2: a message-digest attribute of another length than SHA-256's is refused")
  void verify_messageDigestOfWrongLength_algorithmNotAllowed() throws Exception {
    CMSAttributeTableGenerator shortDigest = params -> {
      Map<ASN1ObjectIdentifier, Attribute> base = new DefaultSignedAttributeTableGenerator()
          .getAttributes(params).toHashtable();
      Hashtable<ASN1ObjectIdentifier, Attribute> t = new Hashtable<>(base);
      t.put(CMSAttributes.messageDigest, new Attribute(CMSAttributes.messageDigest,
          new DERSet(new DEROctetString(new byte[20]))));
      return new AttributeTable(t);
    };
    byte[] sig = cms(List.of(generator(signer.key(), signer.cert(), shortDigest)),
        List.of(signer.cert()), false);

    RefusalException e = refused(verifier(pki.trust()), sig, ReasonCode.ALGORITHM_NOT_ALLOWED);
    assertThat(e.reasons().get(0).message()).contains("20 bytes", "32");
  }

  @Test
  @DisplayName("INT-2: a signing time up to 5 minutes ahead of the clock passes; beyond, CERT_VALIDITY")
  void verify_signingTimeInFuture_boundaryAtFiveMinutes() throws Exception {
    byte[] sig = signed(signer);
    Instant now = Instant.now();
    SignatureVerifier fourBehind = new SignatureVerifier(pki.trust(),
        Clock.fixed(now.minus(Duration.ofMinutes(4)), ZoneOffset.UTC));
    SignatureVerifier sixBehind = new SignatureVerifier(pki.trust(),
        Clock.fixed(now.minus(Duration.ofMinutes(6)), ZoneOffset.UTC));

    fourBehind.verify(CONTENT, sig, VENDOR);
    RefusalException e = refused(sixBehind, sig, ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).message()).contains("lies in the future");
    assertThat(e.reasons().get(0).subject()).isEqualTo(Certificates.subject(signer.cert()));
  }

  /** A chain of {@code n} intermediate CAs below the root and a code signer below them. */
  private static TestPki.Signer chain(int n, boolean intermediatesAreCas, Integer keyUsage) {
    Instant now = Instant.now();
    X509Certificate issuer = pki.root;
    KeyPair issuerKey = pki.rootKey;
    List<X509Certificate> mids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      KeyPair k = KeyType.EC_P256.generate();
      CertificateIssuer ci = CertificateIssuer.forSubject("CN=Mid " + i + ",O=Chain", k.getPublic())
          .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
      if (intermediatesAreCas) {
        ci.ca();
      }
      if (keyUsage != null) {
        ci.keyUsage(keyUsage);
      }
      X509Certificate c = ci.issuedBy(issuer, issuerKey.getPrivate());
      mids.add(c);
      issuer = c;
      issuerKey = k;
    }
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Chain Signer,O=Chain", k.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(issuer, issuerKey.getPrivate());
    Collections.reverse(mids);
    return new TestPki.Signer(k, leaf, mids);
  }

  @Test
  @DisplayName("INT-2: a path of signer and 7 intermediates passes; 8 intermediates is CERT_UNTRUSTED")
  void verify_chainLength_boundaryAtEight() throws Exception {
    SignerDetails d = verifier(pki.trust()).verify(CONTENT, signed(chain(7, true, null)), VENDOR);
    assertThat(d.path()).hasSize(9);

    RefusalException e = refused(verifier(pki.trust()), signed(chain(8, true, null)),
        ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).message()).contains("longer than 8");
  }

  @Test
  @DisplayName("INT-2: an intermediate that is no CA is CERT_UNTRUSTED, naming it")
  void verify_intermediateNotCa_certUntrusted() throws Exception {
    RefusalException e = refused(verifier(pki.trust()),
        signed(chain(1, false, KeyUsage.keyCertSign | KeyUsage.cRLSign)),
        ReasonCode.CERT_UNTRUSTED);

    assertThat(e.reasons().get(0).subject()).isEqualTo("CN=Mid 0,O=Chain");
    assertThat(e.reasons().get(0).message()).contains("rejected at 'CN=Mid 0,O=Chain'");
  }

  @Test
  @DisplayName("INT-2: an intermediate CA without keyCertSign is KEY_USAGE, naming it")
  void verify_intermediateWithoutKeyCertSign_keyUsage() throws Exception {
    RefusalException e = refused(verifier(pki.trust()),
        signed(chain(2, true, KeyUsage.digitalSignature)), ReasonCode.KEY_USAGE);

    assertThat(e.reasons().get(0).subject()).startsWith("CN=Mid ");
  }

  @Test
  @DisplayName("INT-2: an embedded self-signed issuer that is no anchor is CERT_UNTRUSTED, said so")
  void verify_embeddedSelfSignedIssuer_certUntrustedSelfSigned() throws Exception {
    TestPki elsewhere = TestPki.create("CN=Elsewhere Root");
    TestPki.Signer s = elsewhere.codeSigner();
    TestPki.Signer withRoot = new TestPki.Signer(s.key(), s.cert(), List.of(elsewhere.root));

    RefusalException e = refused(verifier(pki.trust()), signed(withRoot),
        ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).message()).contains("self-signed", "Elsewhere Root");
  }

  @Test
  @DisplayName("INT-2: a trust anchor not yet valid is CERT_VALIDITY")
  void verify_anchorNotYetValid_certValidity() throws Exception {
    Instant now = Instant.now();
    KeyPair rootKey = KeyType.EC_P256.generate();
    X509Certificate future = CertificateIssuer.forSubject("CN=Future Root", rootKey.getPublic())
        .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)))
        .ca()
        .selfSigned(rootKey.getPrivate());
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Early Signer", k.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(future, rootKey.getPrivate());

    RefusalException e = refused(
        verifier(new TrustStore(List.of(future), List.of())),
        signed(new TestPki.Signer(k, leaf, List.of())), ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).message()).contains("trust anchor 'CN=Future Root'");
  }

  @Test
  @DisplayName("INT-2: only CRLs of CAs on the path are judged; a SHA-1 CRL of another CA is ignored")
  void verify_sha1CrlOfUnrelatedCa_ignored() throws Exception {
    TestPki other = TestPki.create("CN=Unrelated CA");
    TrustStore trust = new TrustStore(List.of(pki.root, other.root),
        List.of(pki.crl(), other.crl("SHA1withECDSA")),
        Map.of(pki.root, Set.of(VENDOR), other.root, Set.of("Unrelated")));

    assertThat(verifier(trust).verify(CONTENT, signed(signer), VENDOR).subject())
        .isEqualTo(Certificates.subject(signer.cert()));
  }

  @Test
  @DisplayName("SRC-2: the vendor is required; a null vendor is a programming error")
  void verify_nullVendor_npe() {
    assertThatThrownBy(() -> verifier(pki.trust()).verify(CONTENT, signed(signer), null))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("vendor");
  }

  @Test
  @DisplayName("INT-2: a signer certificate naming the root as issuer but signed by another key is CERT_UNTRUSTED")
  void verify_issuerNameForgedByAnotherKey_certUntrustedNoChain() throws Exception {
    TestPki impostor = TestPki.create(pki.root.getSubjectX500Principal().getName());
    TestPki.Signer forged = impostor.codeSigner();

    RefusalException e = refused(verifier(pki.trust()), signed(forged),
        ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).message()).contains("does not chain to a trust anchor");
  }

  @Test
  @DisplayName("INT-3: a trust anchor expired now but valid at the signing time is CERT_VALIDITY")
  void verify_anchorExpiredSinceSigning_certValidity() throws Exception {
    Instant now = Instant.now();
    KeyPair rootKey = KeyType.EC_P256.generate();
    X509Certificate root = CertificateIssuer.forSubject("CN=Short Root", rootKey.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)))
        .ca()
        .selfSigned(rootKey.getPrivate());
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Long Signer", k.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(root, rootKey.getPrivate());
    byte[] sig = signed(new TestPki.Signer(k, leaf, List.of()));
    SignatureVerifier inTwoDays = new SignatureVerifier(new TrustStore(List.of(root), List.of()),
        Clock.fixed(now.plus(Duration.ofDays(2)), ZoneOffset.UTC));

    RefusalException e = refused(inTwoDays, sig, ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).message()).contains("trust anchor 'CN=Short Root'");
  }

  @Test
  @DisplayName("INT-3: an intermediate valid now but not yet at the signing time is CERT_VALIDITY")
  void verify_intermediateNotValidAtSigningTime_certValidity() throws Exception {
    Instant now = Instant.now();
    KeyPair midKey = KeyType.EC_P256.generate();
    X509Certificate mid = CertificateIssuer.forSubject("CN=Late Mid,O=Chain", midKey.getPublic())
        .validity(now.plus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .ca()
        .issuedBy(pki.root, pki.rootKey.getPrivate());
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Early Leaf", k.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(mid, midKey.getPrivate());
    byte[] sig = signed(new TestPki.Signer(k, leaf, List.of(mid)));
    SignatureVerifier tomorrow = new SignatureVerifier(pki.trust(),
        Clock.fixed(now.plus(Duration.ofDays(1)), ZoneOffset.UTC));

    RefusalException e = refused(tomorrow, sig, ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).subject()).isEqualTo("CN=Late Mid,O=Chain");
  }

  @Test
  @DisplayName("INT-2: an extra embedded certificate on an unknown curve is ALGORITHM_NOT_ALLOWED, naming it")
  void verify_extraEmbeddedCertificateOnUnknownCurve_algorithmNotAllowed() throws Exception {
    SubjectPublicKeyInfo p256 = SubjectPublicKeyInfo.getInstance(
        KeyType.EC_P256.generate().getPublic().getEncoded());
    SubjectPublicKeyInfo bogus = new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
            new ASN1ObjectIdentifier("1.2.840.10045.3.1.127")),
        p256.getPublicKeyData().getBytes());
    Instant now = Instant.now();
    X509CertificateHolder odd = new X509v3CertificateBuilder(
        X500Name.getInstance(pki.root.getSubjectX500Principal().getEncoded()), BigInteger.TEN,
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(9))),
        new X500Name("CN=Bogus Curve"), bogus)
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pki.rootKey.getPrivate()));
    CMSSignedDataGenerator g = new CMSSignedDataGenerator();
    g.addSignerInfoGenerator(generator(signer.key(), signer.cert(), null));
    g.addCertificates(new CollectionStore<>(
        List.of(new JcaX509CertificateHolder(signer.cert()), odd)));
    byte[] sig = g.generate(new CMSProcessableByteArray(CONTENT), false).getEncoded();

    RefusalException e = refused(verifier(pki.trust()), sig, ReasonCode.ALGORITHM_NOT_ALLOWED);
    assertThat(e.reasons().get(0).subject()).isEqualTo("CN=Bogus Curve");
  }

  @Test
  @DisplayName("INT-3: a trust anchor valid now but not yet at the signing time is CERT_VALIDITY")
  void verify_anchorNotValidAtSigningTime_certValidity() throws Exception {
    Instant now = Instant.now();
    KeyPair rootKey = KeyType.EC_P256.generate();
    X509Certificate root = CertificateIssuer.forSubject("CN=Late Root", rootKey.getPublic())
        .validity(now.plus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .ca()
        .selfSigned(rootKey.getPrivate());
    KeyPair k = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Before Root Signer", k.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(root, rootKey.getPrivate());
    byte[] sig = signed(new TestPki.Signer(k, leaf, List.of()));
    SignatureVerifier tomorrow = new SignatureVerifier(new TrustStore(List.of(root), List.of()),
        Clock.fixed(now.plus(Duration.ofDays(1)), ZoneOffset.UTC));

    RefusalException e = refused(tomorrow, sig, ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).message()).contains("trust anchor 'CN=Late Root'");
  }
}
