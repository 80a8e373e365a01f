package org.neguard.pkg;

import org.neguard.measure.Sha256;
import org.neguard.progress.ProgressListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.CONF;
import static org.neguard.pkg.TestBundles.DATA;
import static org.neguard.pkg.TestBundles.LIMITS;
import static org.neguard.pkg.TestBundles.TOOL;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.KeyType;
import org.neguard.sign.CmsSigner;
import org.neguard.sign.KeyMaterial;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Every way a bundle can be bad, one row each, refused by {@link BundleVerifier#verify} with its
 * exact reason code (INT-1: insecure or uncertified packages are refused; INT-4: integrity end to
 * end; OBJ-1: robust against hostile input). Messages are sentences, never stack traces.
 */
class BadInputTest {
  private static final String MANIFEST = BundleLayout.MANIFEST;
  private static final String SIGNATURE = BundleLayout.SIGNATURE;

  @TempDir static Path shared;

  private static TestPki pki;
  private static TestPki.Signer signer;
  private static Path good;
  private static Path otherSigned;
  private static Path unsigned;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    signer = pki.codeSigner();
    good = TestBundles.signedSmallBundle(shared, "good", signer.material());
    unsigned = TestBundles.build(TestBundles.smallTree(shared.resolve("tree2")),
        shared.resolve("unsigned.ngp"));
    Path otherTree = TestBundles.smallTree(shared.resolve("tree3"));
    Files.writeString(otherTree.resolve(CONF), "key=other\n");
    otherSigned = shared.resolve("other.ngp");
    TestBundles.builder().version("2.0.0").build().build(otherTree, otherSigned);
    TestBundles.sign(otherSigned, signer.material());
  }

  private Path bad() {
    return tmp.resolve("bad.ngp");
  }

  private static Verification verify(Path bundle) throws IOException, RefusalException {
    return TestBundles.verify(bundle, pki.trust());
  }

  private static String subject(X509Certificate cert) {
    return cert.getSubjectX500Principal().getName();
  }

  @Test
  void control_goodBundle_verifies() throws Exception {
    assertThat(verify(good).manifest().files()).hasSize(4);
  }

  // ------------------------------------------------------------------ content tampering

  @Test
  @DisplayName("INT-1/INT-4: one changed payload byte is DIGEST_MISMATCH naming the file")
  void verify_tamperedPayload_failsWithDigestMismatch() throws Exception {
    BundleTamper.of(good).modify("payload/" + DATA, flip(100)).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);

    assertThat(e.reasons()).hasSize(1);
    assertThat(e.reasons().get(0).subject()).isEqualTo(DATA);
    assertThat(e.reasons().get(0).message()).contains(DATA).contains("altered");
  }

  @Test
  @DisplayName("INT-4: every tampered file is reported, each by name")
  void verify_twoTamperedPayloads_reportsBoth() throws Exception {
    BundleTamper.of(good).modify("payload/" + DATA, flip(0)).modify("payload/" + TOOL, flip(12))
        .write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);

    assertThat(e.reasons()).extracting(r -> r.subject()).containsExactlyInAnyOrder(DATA, TOOL);
    assertThat(e.reasons()).allSatisfy(r -> assertThat(r.code()).isEqualTo(ReasonCode.DIGEST_MISMATCH));
  }

  @Test
  @DisplayName("INT-1: manifest changed after signing (valid JSON, valid RIM) is SIGNATURE_INVALID")
  void verify_manifestChangedAfterSigning_signatureInvalid() throws Exception {
    BundleTamper.of(good).modify(MANIFEST, json(s -> s.replace("\"1.0.0\"", "\"1.0.1\"")))
        .write(bad());
    try (BundleReader r = BundleReader.open(bad(), LIMITS)) {
      assertThat(r.manifest().version()).isEqualTo("1.0.1"); // still a well-formed manifest
    }

    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("INT-1: raising securityVersion after signing (anti-rollback field) is SIGNATURE_INVALID")
  void verify_securityVersionChangedAfterSigning_signatureInvalid() throws Exception {
    BundleTamper.of(good)
        .modify(MANIFEST, json(s -> s.replace("\"securityVersion\" : 3", "\"securityVersion\" : 9")))
        .write(bad());

    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("INT-1: a valid signature of another package pasted in is SIGNATURE_INVALID")
  void verify_signatureOfAnotherBundle_signatureInvalid() throws Exception {
    verify(otherSigned); // the donor is itself valid
    BundleTamper.of(good).replace(SIGNATURE, TestBundles.entry(otherSigned, SIGNATURE)).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
    assertThat(e.reasons().get(0).message()).contains("manifest");
  }

  @Test
  @DisplayName("INT-1: a signature that is not CMS is SIGNATURE_INVALID")
  void verify_garbageSignature_signatureInvalid() throws Exception {
    BundleTamper.of(good).replace(SIGNATURE, "not a signature".getBytes(StandardCharsets.US_ASCII))
        .write(bad());

    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("INT-4: a RIM that is not the tree digest of the listed files is DIGEST_MISMATCH")
  void verify_rimNotTreeDigestOfFiles_digestMismatch() throws Exception {
    Manifest m = manifestOf(good);
    Manifest wrongRim = copy(m, m.files(), m.scanReports(),
        new Manifest.Rim(m.rim().algorithm(), "0".repeat(64)));
    resigned(good, wrongRim).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);
    assertThat(e.reasons().get(0).message()).contains("RIM");
  }

  @Test
  @DisplayName("INT-4: scan reports are covered by the signature; a changed report is DIGEST_MISMATCH")
  void verify_tamperedScanReport_digestMismatch() throws Exception {
    byte[] report = "{\"engine\":\"clamav\",\"result\":\"clean\"}\n".getBytes(StandardCharsets.UTF_8);
    String path = BundleLayout.SCAN_PREFIX + "clamav.json";
    Manifest m = manifestOf(good);
    Manifest withReport = copy(m, m.files(),
        List.of(new Manifest.ScanReportRef(path, report.length, sha256(report))), m.rim());
    resigned(good, withReport).add(path, report).write(tmp.resolve("with-report.ngp"));
    verify(tmp.resolve("with-report.ngp")); // control: valid with the real report

    byte[] forged = "{\"engine\":\"clamav\",\"result\":\"CLEAN\"}\n".getBytes(StandardCharsets.UTF_8);
    BundleTamper.of(tmp.resolve("with-report.ngp")).replace(path, forged).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);
    assertThat(e.reasons().get(0).subject()).isEqualTo(path);
  }

  /**
   * The signature entry of {@code good} with {@code edit} applied to its DER bytes, the rest of
   * the bundle untouched.
   */
  private Path withSignatureBytes(UnaryOperator<byte[]> edit) throws Exception {
    return BundleTamper.of(good).modify(SIGNATURE, edit).write(bad());
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  @DisplayName("OBJ-1: an embedded certificate whose issuer Name is a SET, not a SEQUENCE, is SIGNATURE_INVALID")
  void verify_corruptEmbeddedCertificate_signatureInvalid() throws Exception {
    // Bouncy Castle parses certificates lazily: this fails in CMSSignedData.getCertificates(),
    // after SignatureVerifier.parse's try block (SignatureVerifier.java:92).
    byte[] issuer = signer.cert().getIssuerX500Principal().getEncoded();
    withSignatureBytes(b -> {
      byte[] c = b.clone();
      int at = indexOf(c, issuer, 0); // first occurrence: the certificate's TBS issuer
      assertThat(at).isPositive();
      c[at] = 0x31;
      return c;
    });

    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("OBJ-1: a SignerInfo whose serial number is not an INTEGER is SIGNATURE_INVALID")
  void verify_corruptSignerInfo_signatureInvalid() throws Exception {
    // Fails lazily in CMSSignedData.getSignerInfos() (SignatureVerifier.java:87).
    byte[] issuer = signer.cert().getIssuerX500Principal().getEncoded();
    withSignatureBytes(b -> {
      byte[] c = b.clone();
      int at = indexOf(c, issuer, 0);
      while (at >= 0 && c[at + issuer.length] != 0x02) { // the sid: issuer, then INTEGER serial
        at = indexOf(c, issuer, at + 1);
      }
      assertThat(at).isPositive();
      c[at + issuer.length] = (byte) 0x80; // [0] IMPLICIT instead of INTEGER
      return c;
    });

    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
  }

  @Test
  @DisplayName("OBJ-1, INT-2: an embedded certificate on an unknown curve is ALGORITHM_NOT_ALLOWED, told in words")
  void verify_embeddedCertificateOnUnknownCurve_algorithmNotAllowed() throws Exception {
    byte[] p256 = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07};
    withSignatureBytes(b -> {
      byte[] c = b.clone();
      int at = indexOf(c, p256, 0); // the signer's public key (the root is not embedded)
      assertThat(at).isPositive();
      c[at + p256.length - 1] = 0x7F; // 1.2.840.10045.3.1.127: no such curve
      return c;
    });

    assertRefused(() -> verify(bad()), ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  // ------------------------------------------------------------------ certificates

  @Test
  @DisplayName("INT-1: a signer not chained to the trust anchor is CERT_UNTRUSTED")
  void verify_signerUnderAnotherCa_certUntrusted() throws Exception {
    TestPki.Signer stranger = TestPki.create("CN=Other Root CA,O=Elsewhere").codeSigner();
    TestBundles.sign(Files.copy(unsigned, bad()), stranger.material());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(stranger.cert()));
    assertThat(e.reasons().get(0).message()).contains(subject(stranger.cert()));
  }

  @Test
  @DisplayName("INT-1: a self-signed signer is CERT_UNTRUSTED")
  void verify_selfSignedSigner_certUntrusted() throws Exception {
    TestPki.Signer self = TestPki.selfSigned();
    TestBundles.sign(Files.copy(unsigned, bad()), self.material());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).message()).contains("self-signed").contains(subject(self.cert()));
  }

  @Test
  @DisplayName("INT-1: an expired signer certificate is CERT_VALIDITY")
  void verify_expiredSigner_certValidity() throws Exception {
    Instant now = Instant.now();
    TestPki.Signer expired = pki.signer(KeyType.EC_P256, now.minus(Duration.ofDays(400)),
        now.minus(Duration.ofDays(35)), true);
    TestBundles.sign(Files.copy(unsigned, bad()), expired.material()); // the signer does not check

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(expired.cert()));
    assertThat(e.reasons().get(0).message()).contains(subject(expired.cert()));
  }

  @Test
  @DisplayName("INT-1: a signer certificate not yet valid is CERT_VALIDITY")
  void verify_notYetValidSigner_certValidity() throws Exception {
    Instant now = Instant.now();
    TestPki.Signer early = pki.signer(KeyType.EC_P256, now.plus(Duration.ofDays(2)),
        now.plus(Duration.ofDays(400)), true);
    TestBundles.sign(Files.copy(unsigned, bad()), early.material());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(early.cert()));
  }

  @Test
  @DisplayName("INT-3: a package whose certificate has expired since signing is refused at the next check")
  void verify_certificateExpiredSinceSigning_certValidity() throws Exception {
    Clock later = Clock.fixed(signer.cert().getNotAfter().toInstant().plus(Duration.ofDays(1)),
        ZoneOffset.UTC);

    RefusalException e = assertRefused(
        () -> BundleVerifier.builder(pki.trust()).clock(later).threads(2).build()
            .verify(good, ProgressListener.NONE),
        ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(signer.cert()));
  }

  @Test
  @DisplayName("INT-1: BundleSigner refuses a certificate without codeSigning: KEY_USAGE")
  void sign_withoutCodeSigningEku_keyUsage() throws Exception {
    TestPki.Signer notForCode = pki.signer(KeyType.EC_P256, Instant.now().minusSeconds(3600),
        Instant.now().plus(Duration.ofDays(30)), false);
    Path bundle = Files.copy(unsigned, bad());
    byte[] before = Files.readAllBytes(bundle);

    RefusalException e = assertRefused(() -> TestBundles.sign(bundle, notForCode.material()),
        ReasonCode.KEY_USAGE);

    assertThat(e.reasons().get(0).message()).contains(subject(notForCode.cert()));
    assertThat(Files.readAllBytes(bundle)).isEqualTo(before);
  }

  @Test
  @DisplayName("INT-1: a signer certificate without codeSigning EKU is KEY_USAGE")
  void verify_signerWithoutCodeSigningEku_keyUsage() throws Exception {
    TestPki.Signer notForCode = pki.signer(KeyType.EC_P256, Instant.now().minusSeconds(3600),
        Instant.now().plus(Duration.ofDays(30)), false);
    byte[] p7s = CmsSigner.signDetached(TestBundles.entry(unsigned, MANIFEST), notForCode.material());
    BundleTamper.of(unsigned).addStored(SIGNATURE, p7s).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.KEY_USAGE);
    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(notForCode.cert()));
    assertThat(e.reasons().get(0).message()).contains("code signing");
  }

  @Test
  @DisplayName("INT-1: a code signer whose key usage lacks digitalSignature is KEY_USAGE")
  void verify_signerKeyUsageWithoutDigitalSignature_keyUsage() throws Exception {
    KeyPair key = KeyType.EC_P256.generate();
    X509Certificate cert = CertificateIssuer
        .forSubject("CN=Key Agreement Only,O=NEGuard Tests", key.getPublic())
        .codeSigning()
        .keyUsage(KeyUsage.keyAgreement)
        .issuedBy(pki.root, pki.rootKey.getPrivate());
    TestBundles.sign(Files.copy(unsigned, bad()),
        KeyMaterial.of(key.getPrivate(), cert, List.of(), KeyMaterial.RsaPadding.PSS));

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.KEY_USAGE);
    assertThat(e.reasons().get(0).message()).contains("digitalSignature");
  }

  // ------------------------------------------------------------------ revocation

  @Test
  void verify_currentCrlNotListingSigner_passes() throws Exception {
    TestPki.Signer someoneElse = pki.codeSigner();

    TestBundles.verify(good, pki.trust(pki.crl(someoneElse.cert())));
  }

  @Test
  @DisplayName("INT-1: a signer revoked in the CRL is CERT_REVOKED")
  void verify_revokedSigner_certRevoked() throws Exception {
    RefusalException e = assertRefused(
        () -> TestBundles.verify(good, pki.trust(pki.crl(signer.cert()))), ReasonCode.CERT_REVOKED);

    assertThat(e.reasons().get(0).subject()).isEqualTo(subject(signer.cert()));
    assertThat(e.reasons().get(0).message()).contains(subject(signer.cert())).contains("revoked");
  }

  @Test
  @DisplayName("INT-1: a stale CRL (nextUpdate in the past) is CRL_INVALID")
  void verify_staleCrl_crlInvalid() throws Exception {
    Instant now = Instant.now();
    X509CRL stale = pki.crl(now.minus(Duration.ofDays(14)), now.minus(Duration.ofDays(7)));

    RefusalException e = assertRefused(() -> TestBundles.verify(good, pki.trust(stale)),
        ReasonCode.CRL_INVALID);
    assertThat(e.reasons().get(0).message()).contains(subject(signer.cert()));
  }

  @Test
  @DisplayName("INT-1: a CRL with the root's name but signed by another key is CRL_INVALID")
  void verify_crlForgedByAnotherKey_crlInvalid() throws Exception {
    KeyPair forger = KeyType.EC_P256.generate();
    X509v2CRLBuilder b = new X509v2CRLBuilder(
        X500Name.getInstance(pki.root.getSubjectX500Principal().getEncoded()),
        Date.from(Instant.now().minusSeconds(600)));
    b.setNextUpdate(Date.from(Instant.now().plus(Duration.ofDays(7))));
    X509CRL forged = new JcaX509CRLConverter().getCRL(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(forger.getPrivate())));

    assertRefused(() -> TestBundles.verify(good, pki.trust(forged)), ReasonCode.CRL_INVALID);
  }

  @Test
  @DisplayName("INT-1: only a CRL of another CA is CRL_INVALID (the signer is not covered)")
  void verify_crlOfAnotherCa_crlInvalid() throws Exception {
    X509CRL foreign = TestPki.create("CN=Other Root CA,O=Elsewhere").crl();

    assertRefused(() -> TestBundles.verify(good, pki.trust(foreign)), ReasonCode.CRL_INVALID);
  }

  // ------------------------------------------------------------------ paths

  static Stream<String> unsafeEntryNames() {
    return Stream.of(
        "../evil",
        "payload/../../evil",
        "/abs",
        "/etc/cron.d/evil",
        "a\\b",
        "payload\\..\\..\\evil",
        "C:/evil",
        "payload/./x",
        "payload//x",
        "payload/x/",
        "payload/ctl\u0007char",
        "payload/e\u0301"); // not NFC
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("unsafeEntryNames")
  @DisplayName("INT-1: an entry with an unsafe name is UNSAFE_PATH")
  void verify_unsafeEntryName_unsafePath(String name) throws Exception {
    BundleTamper.of(good).add(name, "evil\n".getBytes(StandardCharsets.US_ASCII)).write(bad());
    assertThat(BundleTamper.rawNames(bad())).contains(name); // written verbatim

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).subject()).isEqualTo(name);
  }

  @Test
  @DisplayName("INT-1: an entry whose name is not UTF-8 is UNSAFE_PATH")
  void verify_entryNameNotUtf8_unsafePath() throws Exception {
    BundleTamper.of(good).add("payload/caf\u00e9", new byte[] {1}).write(bad(), "ISO-8859-1");
    assertThat(BundleTamper.rawNames(bad())).contains("payload/caf\uFFFD");

    assertRefused(() -> verify(bad()), ReasonCode.UNSAFE_PATH);
  }

  @Test
  @DisplayName("INT-1: a symbolic-link entry is UNSAFE_PATH")
  void verify_symlinkEntry_unsafePath() throws Exception {
    BundleTamper.of(good).symlink("payload/" + TOOL, "/etc/shadow").write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).subject()).isEqualTo("payload/" + TOOL);
    assertThat(e.reasons().get(0).message()).contains("symbolic link");
  }

  @Test
  @DisplayName("INT-1: a manifest listing a path with '..' is UNSAFE_PATH")
  void verify_manifestListsDotDotPath_unsafePath() throws Exception {
    Manifest m = manifestOf(good);
    List<Manifest.FileEntry> files = new ArrayList<>(m.files());
    files.add(new Manifest.FileEntry("../evil", 5, "0755", sha256("evil\n".getBytes())));
    Manifest evil = copy(m, files, m.scanReports(),
        new Manifest.Rim(m.rim().algorithm(), ManifestCodec.rimOf(files)));
    // No entry of that name: the manifest itself must be refused, before entries are matched.
    resigned(good, evil).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.UNSAFE_PATH);
    assertThat(e.reasons().get(0).subject()).isEqualTo("../evil");
  }

  // ------------------------------------------------------------------ structure

  @Test
  @DisplayName("INT-1: two entries with the same name are STRUCTURE")
  void verify_duplicateEntry_structure() throws Exception {
    BundleTamper.of(good).duplicate("payload/" + CONF).write(bad());
    assertThat(BundleTamper.rawNames(bad())).filteredOn(("payload/" + CONF)::equals).hasSize(2);

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
    assertThat(e.reasons().get(0).message()).contains("payload/" + CONF).contains("twice");
  }

  @Test
  @DisplayName("INT-1: two manifests are STRUCTURE (which one would be trusted?)")
  void verify_duplicateManifest_structure() throws Exception {
    BundleTamper.of(good).duplicate(MANIFEST).write(bad());

    assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
  }

  @Test
  @DisplayName("INT-1: an entry the manifest does not list is STRUCTURE")
  void verify_unlistedEntry_structure() throws Exception {
    BundleTamper.of(good).add("payload/bin/backdoor", "#!/bin/sh\n".getBytes()).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
    assertThat(e.reasons().get(0).subject()).isEqualTo("payload/bin/backdoor");
    assertThat(e.reasons().get(0).message()).contains("not listed");
  }

  @Test
  @DisplayName("INT-1: a listed file missing from the archive is STRUCTURE")
  void verify_listedEntryMissing_structure() throws Exception {
    BundleTamper.of(good).remove("payload/" + CONF).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
    assertThat(e.reasons().get(0).subject()).isEqualTo("payload/" + CONF);
    assertThat(e.reasons().get(0).message()).contains("missing");
  }

  @Test
  @DisplayName("INT-1: an unsigned bundle is UNSIGNED")
  void verify_unsignedBundle_unsigned() {
    RefusalException e = assertRefused(() -> verify(unsigned), ReasonCode.UNSIGNED);
    assertThat(e.isError()).isFalse();
  }

  @Test
  @DisplayName("INT-1: a bundle whose signature entry was removed is UNSIGNED")
  void verify_signatureRemoved_unsigned() throws Exception {
    BundleTamper.of(good).remove(SIGNATURE).write(bad());

    assertRefused(() -> verify(bad()), ReasonCode.UNSIGNED);
  }

  // ------------------------------------------------------------------ malformed files

  @Test
  @DisplayName("OBJ-1: a truncated bundle is MALFORMED")
  void verify_truncatedBundle_malformed() throws Exception {
    byte[] bytes = Files.readAllBytes(good);
    Files.write(bad(), java.util.Arrays.copyOf(bytes, bytes.length / 2));

    assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("OBJ-1: random bytes are MALFORMED")
  void verify_randomBytes_malformed() throws Exception {
    Files.write(bad(), TestBundles.randomBytes(10_000, 99));

    assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("OBJ-1: a text file is MALFORMED")
  void verify_textFile_malformed() throws Exception {
    Files.writeString(bad(), "#!/bin/sh\necho this is not a package\n");

    assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("OBJ-1: an empty file is MALFORMED")
  void verify_emptyFile_malformed() throws Exception {
    Files.write(bad(), new byte[0]);

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains("empty");
  }

  @Test
  @DisplayName("OBJ-1: data before the first entry (a polyglot) is MALFORMED")
  void verify_dataBeforeFirstEntry_malformed() throws Exception {
    byte[] zip = Files.readAllBytes(good);
    byte[] prefix = "#!/bin/sh\nexit 0\n".getBytes(StandardCharsets.US_ASCII);
    byte[] both = new byte[prefix.length + zip.length];
    System.arraycopy(prefix, 0, both, 0, prefix.length);
    System.arraycopy(zip, 0, both, prefix.length, zip.length);
    Files.write(bad(), both);

    assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("OBJ-1: a ZIP without a manifest is MALFORMED")
  void verify_noManifest_malformed() throws Exception {
    BundleTamper.of(good).remove(MANIFEST).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains(MANIFEST);
  }

  static Stream<Arguments> malformedManifests() {
    return Stream.of(
        Arguments.of("not JSON", (UnaryOperator<String>) s -> "this is not JSON\n", "JSON"),
        Arguments.of("truncated JSON", (UnaryOperator<String>) s -> s.substring(0, s.length() / 2),
            "JSON"),
        Arguments.of("JSON array", (UnaryOperator<String>) s -> "[]\n", "manifest"),
        Arguments.of("JSON null", (UnaryOperator<String>) s -> "null\n", "empty"),
        Arguments.of("missing vendor", (UnaryOperator<String>) s ->
            s.replaceAll("\\s*\"vendor\" : \"[^\"]*\",", ""), "vendor"),
        Arguments.of("null vendor", (UnaryOperator<String>) s ->
            s.replaceAll("\"vendor\" : \"[^\"]*\"", "\"vendor\" : null"), "vendor"),
        Arguments.of("unknown field", (UnaryOperator<String>) s ->
            s.replaceFirst("\\{", "{\n  \"installScript\" : \"rm -rf /\","), "installScript"),
        Arguments.of("duplicate key", (UnaryOperator<String>) s ->
            s.replaceFirst("\\{", "{\n  \"name\" : \"other-package\","), "name"),
        Arguments.of("trailing data", (UnaryOperator<String>) s -> s + "{}\n", "manifest"),
        Arguments.of("string for number", (UnaryOperator<String>) s ->
            s.replace("\"securityVersion\" : 3", "\"securityVersion\" : \"3\""), "manifest"),
        Arguments.of("float for number", (UnaryOperator<String>) s ->
            s.replace("\"securityVersion\" : 3", "\"securityVersion\" : 3.5"), "manifest"),
        Arguments.of("negative securityVersion", (UnaryOperator<String>) s ->
            s.replace("\"securityVersion\" : 3", "\"securityVersion\" : -1"), "securityVersion"),
        Arguments.of("setuid mode", (UnaryOperator<String>) s ->
            s.replace("\"0755\"", "\"4755\""), "mode"),
        Arguments.of("unknown format", (UnaryOperator<String>) s ->
            s.replace(BundleLayout.FORMAT, "neguard-package/2"), "format"),
        Arguments.of("created not a time", (UnaryOperator<String>) s ->
            s.replaceAll("\"created\" : \"[^\"]*\"", "\"created\" : \"yesterday\""), "created"),
        Arguments.of("bad sha256", (UnaryOperator<String>) s ->
            s.replaceFirst("\"sha256\" : \"[0-9a-f]{64}\"", "\"sha256\" : \"abc\""), "sha256"),
        Arguments.of("wrong RIM algorithm", (UnaryOperator<String>) s ->
            s.replace("sha256-tree-v1", "md5-tree"), "rim.algorithm"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("malformedManifests")
  @DisplayName("OBJ-1: a manifest that is not exactly the format is MALFORMED")
  void verify_malformedManifest_malformed(String what, UnaryOperator<String> edit, String named)
      throws Exception {
    byte[] original = TestBundles.entry(good, MANIFEST);
    byte[] edited = json(edit).apply(original);
    assertThat(edited).as("the edit must change the manifest").isNotEqualTo(original);
    BundleTamper.of(good).replace(MANIFEST, edited).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.MALFORMED);
    assertThat(e.reasons().get(0).message()).contains(named);
  }

  // ------------------------------------------------------------------ size limits

  @Test
  @DisplayName("OBJ-1: an entry larger than the manifest lists is SIZE_LIMIT")
  void verify_entryLargerThanListed_sizeLimit() throws Exception {
    Manifest m = manifestOf(good);
    long real = Files.size(shared.resolve("good-tree").resolve(TOOL));
    assertThat(real).isGreaterThan(10);
    resigned(good, withSize(m, TOOL, 10)).write(bad());

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.SIZE_LIMIT);
    assertThat(e.reasons().get(0).subject()).isEqualTo("payload/" + TOOL);
    assertThat(e.reasons().get(0).message()).contains(real + " bytes").contains("10");
  }

  @Test
  @DisplayName("OBJ-1: an entry that holds more than its central directory declares is SIZE_LIMIT")
  void verify_centralDirectoryLiesAboutSize_sizeLimit() throws Exception {
    Manifest m = manifestOf(good);
    resigned(good, withSize(m, TOOL, 10)).deflate("payload/" + TOOL).write(bad());
    BundleTamper.lieAboutSize(bad(), "payload/" + TOOL, 10);

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.SIZE_LIMIT);
    assertThat(e.reasons().get(0).subject()).isEqualTo(TOOL);
    assertThat(e.reasons().get(0).message()).contains("more than the 10 bytes");
  }

  @Test
  @DisplayName("OBJ-1: a zip bomb (8 MiB of zeros deflated ~1000:1) is SIZE_LIMIT")
  void verify_absurdCompressionRatio_sizeLimit() throws Exception {
    BundleTamper.of(good).add("payload/zeros.img", new byte[8 << 20]).write(bad());
    assertThat(Files.size(bad())).isLessThan(1 << 20);

    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.SIZE_LIMIT);
    assertThat(e.reasons().get(0).subject()).isEqualTo("payload/zeros.img");
    assertThat(e.reasons().get(0).message()).contains("zip bomb");
  }

  @Test
  @DisplayName("OBJ-1: a declared size of 4 GiB for a tiny entry is SIZE_LIMIT")
  void verify_hugeDeclaredSize_sizeLimit() throws Exception {
    BundleTamper.of(good).deflate("payload/" + DATA).write(bad());
    BundleTamper.lieAboutSize(bad(), "payload/" + DATA, 0xFFFF_FFF0L);

    assertRefused(() -> verify(bad()), ReasonCode.SIZE_LIMIT);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"entries", "manifest", "signature", "payload"})
  @DisplayName("OBJ-1: every configured limit is enforced with SIZE_LIMIT")
  void verify_overConfiguredLimit_sizeLimit(String which) {
    BundleLimits d = BundleLimits.defaults();
    BundleLimits limits = switch (which) {
      case "entries" -> new BundleLimits(3, d.maxManifestBytes(), d.maxSignatureBytes(),
          d.maxPayloadBytes(), d.maxCompressionRatio(), d.ratioFloorBytes());
      case "manifest" -> new BundleLimits(d.maxEntries(), 100, d.maxSignatureBytes(),
          d.maxPayloadBytes(), d.maxCompressionRatio(), d.ratioFloorBytes());
      case "signature" -> new BundleLimits(d.maxEntries(), d.maxManifestBytes(), 100,
          d.maxPayloadBytes(), d.maxCompressionRatio(), d.ratioFloorBytes());
      case "payload" -> new BundleLimits(d.maxEntries(), d.maxManifestBytes(),
          d.maxSignatureBytes(), 1000, d.maxCompressionRatio(), d.ratioFloorBytes());
      default -> throw new AssertionError(which);
    };

    assertRefused(
        () -> BundleVerifier.builder(pki.trust()).limits(limits).threads(2).build()
            .verify(good, ProgressListener.NONE),
        ReasonCode.SIZE_LIMIT);
  }

  // ------------------------------------------------------------------ extraction

  static Stream<Arguments> badBundles() {
    return Stream.of(
        Arguments.of("dot-dot entry", (Tamper) t -> t.add("../evil", "evil".getBytes())),
        Arguments.of("absolute entry", (Tamper) t -> t.add("/tmp/evil", "evil".getBytes())),
        Arguments.of("symlink", (Tamper) t -> t.symlink("payload/" + TOOL, "/etc/shadow")),
        Arguments.of("tampered payload", (Tamper) t -> t.modify("payload/" + DATA, flip(5))),
        Arguments.of("unlisted entry", (Tamper) t -> t.add("payload/evil", "evil".getBytes())),
        Arguments.of("unsigned", (Tamper) t -> t.remove(SIGNATURE)));
  }

  /** An edit of a good bundle. */
  interface Tamper {
    BundleTamper apply(BundleTamper t) throws Exception;
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("badBundles")
  @DisplayName("INT-1/INT-3: extracting a bad bundle writes nothing, inside or outside the target")
  void extract_badBundle_writesNothingAnywhere(String what, Tamper tamper) throws Exception {
    Path bundle = tamper.apply(BundleTamper.of(good)).write(tmp.resolve("bad.ngp"));
    Path parent = Files.createDirectories(tmp.resolve("install/area"));
    Path target = parent.resolve("target");

    RefusalException e = TestBundles.assertRefusedAnyCode(
        () -> new BundleExtractor(TestBundles.verifier(pki.trust()))
            .extract(bundle, target, LIMITS, ProgressListener.NONE));

    assertThat(e.isError()).as("a negative verdict, not an error").isFalse();
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(parent)) {
      assertThat(s).isEmpty();
    }
    try (Stream<Path> s = Files.walk(tmp)) {
      assertThat(s.filter(Files::isRegularFile)).containsExactly(bundle);
    }
  }

  @Test
  @DisplayName("INT-1/INT-3: extracting a bad bundle into an existing empty target leaves it empty")
  void extract_badBundle_existingEmptyTargetStaysEmpty() throws Exception {
    BundleTamper.of(good).modify("payload/" + CONF, flip(0)).write(bad());
    Path target = Files.createDirectory(tmp.resolve("target"));

    assertRefused(
        () -> new BundleExtractor(TestBundles.verifier(pki.trust()))
            .extract(bad(), target, LIMITS, ProgressListener.NONE),
        ReasonCode.DIGEST_MISMATCH);

    try (Stream<Path> s = Files.list(target)) {
      assertThat(s).isEmpty();
    }
  }

  // ------------------------------------------------------------------ helpers

  private static UnaryOperator<byte[]> flip(int index) {
    return b -> {
      byte[] c = b.clone();
      c[index] ^= 0x01;
      return c;
    };
  }

  private static UnaryOperator<byte[]> json(UnaryOperator<String> edit) {
    return b -> edit.apply(new String(b, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
  }

  private static Manifest manifestOf(Path bundle) throws Exception {
    return ManifestCodec.decode(TestBundles.entry(bundle, MANIFEST));
  }

  private static Manifest copy(Manifest m, List<Manifest.FileEntry> files,
      List<Manifest.ScanReportRef> reports, Manifest.Rim rim) {
    return new Manifest(m.format(), m.name(), m.version(), m.securityVersion(), m.neType(),
        m.vendor(), m.created(), rim, files, reports);
  }

  private static Manifest withSize(Manifest m, String path, long size) {
    List<Manifest.FileEntry> files = m.files().stream()
        .map(f -> f.path().equals(path) ? new Manifest.FileEntry(f.path(), size, f.mode(), f.sha256()) : f)
        .toList();
    return copy(m, files, m.scanReports(), m.rim()); // size is not part of the RIM
  }

  /** {@code base} with {@code manifest} in place, validly signed by the trusted signer. */
  private static BundleTamper resigned(Path base, Manifest manifest) throws Exception {
    byte[] bytes = ManifestCodec.encode(manifest);
    return BundleTamper.of(base)
        .replace(MANIFEST, bytes)
        .put(SIGNATURE, CmsSigner.signDetached(bytes, signer.material()));
  }

  private static String sha256(byte[] b) throws Exception {
    return Sha256.hex(b);
  }
}
