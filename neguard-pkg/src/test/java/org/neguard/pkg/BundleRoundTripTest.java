package org.neguard.pkg;

import org.neguard.measure.Sha256;
import org.neguard.progress.ProgressListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.neguard.pkg.TestBundles.CREATED;
import static org.neguard.pkg.TestBundles.LIMITS;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Security;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.neguard.measure.FileModes;
import org.neguard.measure.TreeDigest;
import org.neguard.pki.DemoPki;
import org.neguard.pki.KeyType;
import org.neguard.sign.KeyMaterial;
import org.neguard.sign.SigningIdentity;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Build, sign, verify and extract a bundle: the happy path of INT-1 to INT-4, with every key. */
class BundleRoundTripTest {
  /** A key type and padding NEGuard signs with (INT-2). */
  enum Key {
    EC_P256(KeyType.EC_P256, KeyMaterial.RsaPadding.PSS, List.of("1.2.840.10045.4.3.2"), SHA256),
    RSA_2048_PSS(KeyType.RSA_2048, KeyMaterial.RsaPadding.PSS, List.of("1.2.840.113549.1.1.10"),
        SHA256),
    // rsaEncryption or sha256WithRSAEncryption: both mean PKCS#1 v1.5 in a SignerInfo.
    RSA_2048_PKCS1(KeyType.RSA_2048, KeyMaterial.RsaPadding.PKCS1,
        List.of("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11"), SHA256),
    // RFC 8419: with signed attributes, Ed25519 SignerInfos use SHA-512.
    ED25519(KeyType.ED25519, KeyMaterial.RsaPadding.PSS, List.of("1.3.101.112"), SHA512);

    final KeyType type;
    final KeyMaterial.RsaPadding padding;
    final List<String> signatureOids;
    final String digestOid;

    Key(KeyType type, KeyMaterial.RsaPadding padding, List<String> signatureOids,
        String digestOid) {
      this.type = type;
      this.padding = padding;
      this.signatureOids = signatureOids;
      this.digestOid = digestOid;
    }
  }

  private static final String SHA256 = "2.16.840.1.101.3.4.2.1";
  private static final String SHA512 = "2.16.840.1.101.3.4.2.3";

  private static final char[] PASSWORD = "correct horse battery staple".toCharArray();

  @TempDir static Path shared;

  private static TestPki pki;
  private static Map<KeyType, TestPki.Signer> signers;
  private static Path tree;
  private static Path unsigned;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    signers = new TreeMap<>();
    for (KeyType t : List.of(KeyType.EC_P256, KeyType.RSA_2048, KeyType.ED25519)) {
      signers.put(t, pki.codeSigner(t)); // one RSA key for the whole class: generation is slow
    }
    tree = fullTree(shared.resolve("tree"));
    unsigned = TestBundles.build(tree, shared.resolve("unsigned.ngp"));
  }

  /**
   * Nested directories, an empty file, an executable, a large compressible text, an
   * incompressible random file, and a file of zeros that deflates past the reader's ratio limit.
   */
  private static Path fullTree(Path dir) throws IOException {
    TestBundles.smallTree(dir);
    StringBuilder text = new StringBuilder();
    Random random = new Random(1);
    String[] words = {"mme", "s1ap", "gtp", "diameter", "bearer", "attach", "tau", "paging",
        "handover", "enodeb", "sgw", "pgw", "hss", "imsi", "guti"};
    while (text.length() < 3 << 20) {
      text.append(words[random.nextInt(words.length)]).append(random.nextInt(1000))
          .append(random.nextInt(8) == 0 ? "\n" : " ");
    }
    TestBundles.write(dir, "share/doc/manual.txt", text.toString().getBytes(StandardCharsets.UTF_8),
        "rw-r--r--");
    TestBundles.write(dir, "lib/firmware/blob.bin", TestBundles.randomBytes(512 << 10, 2),
        "rw-------");
    TestBundles.write(dir, "var/zeros.img", new byte[4 << 20], "rw-r--r--");
    TestBundles.write(dir, "sbin/agent", "#!/bin/sh\nexec true\n".getBytes(StandardCharsets.US_ASCII),
        "rwxr-xr-x");
    return dir;
  }

  private Path copyOfUnsigned() throws IOException {
    return Files.copy(unsigned, tmp.resolve("bundle.ngp"));
  }

  private static SigningIdentity identity(Key key) {
    return signers.get(key.type).material(key.padding);
  }

  // ---------------------------------------------------------------- sign and verify

  @ParameterizedTest(name = "{0}")
  @EnumSource(Key.class)
  @DisplayName("INT-1/INT-2: a bundle signed with each supported key verifies")
  void signThenVerify_eachKeyType_passes(Key key) throws Exception {
    Path bundle = TestBundles.sign(copyOfUnsigned(), identity(key));
    TestPki.Signer signer = signers.get(key.type);
    AtomicLong lastDone = new AtomicLong();
    AtomicLong lastTotal = new AtomicLong();

    Verification v = TestBundles.verifier(pki.trust()).verify(bundle, (done, total) -> {
      lastDone.accumulateAndGet(done, Math::max);
      lastTotal.set(total);
    });

    assertThat(v.signer().subject()).isEqualTo(signer.cert().getSubjectX500Principal().getName());
    assertThat(v.signer().fingerprint()).isEqualTo(sha256(signer.cert().getEncoded()));
    assertThat(v.signer().path())
        .containsExactly(
            signer.cert().getSubjectX500Principal().getName(),
            pki.root.getSubjectX500Principal().getName());
    assertThat(v.manifest().rim().digest()).isEqualTo(ManifestCodec.rimOf(v.manifest().files()));
    assertThat(TestBundles.entry(bundle, BundleLayout.MANIFEST))
        .isEqualTo(TestBundles.entry(unsigned, BundleLayout.MANIFEST));
    assertThat(lastTotal.get()).isEqualTo(v.manifest().payloadBytes());
    assertThat(lastDone.get()).isEqualTo(v.manifest().payloadBytes());
    // The signature really uses the requested algorithm and padding (INT-2: CMS, RFC 5652).
    byte[] p7s = TestBundles.entry(bundle, BundleLayout.SIGNATURE);
    CMSSignedData cms = new CMSSignedData(p7s);
    assertThat(cms.isDetachedSignature()).isTrue();
    SignerInformation info = cms.getSignerInfos().getSigners().iterator().next();
    assertThat(info.getEncryptionAlgOID()).isIn(key.signatureOids);
    assertThat(info.getDigestAlgOID()).isEqualTo(key.digestOid);
  }

  @Test
  @DisplayName("INT-2: a signer under an intermediate CA verifies; the intermediate is embedded")
  void signThenVerify_viaIntermediate_passesWithChainEmbedded() throws Exception {
    TestPki.Signer signer = pki.codeSignerViaIntermediate();
    Path bundle = TestBundles.sign(copyOfUnsigned(), signer.material());

    Verification v = TestBundles.verify(bundle, pki.trust());

    assertThat(v.signer().path()).containsExactly(
        signer.cert().getSubjectX500Principal().getName(),
        signer.chain().get(0).getSubjectX500Principal().getName(),
        pki.root.getSubjectX500Principal().getName());
    assertThat(new CMSSignedData(TestBundles.entry(bundle, BundleLayout.SIGNATURE))
        .getCertificates().getMatches(null)).hasSize(2);
  }

  @Test
  @DisplayName("INT-2: without the intermediate embedded, the signer does not chain: CERT_UNTRUSTED")
  void verify_intermediateNotEmbedded_certUntrusted() throws Exception {
    TestPki.Signer signer = pki.codeSignerViaIntermediate();
    KeyMaterial noChain = KeyMaterial.of(signer.key().getPrivate(), signer.cert(), List.of(),
        KeyMaterial.RsaPadding.PSS);
    Path bundle = TestBundles.sign(copyOfUnsigned(), noChain);

    RefusalException e = assertRefused(() -> TestBundles.verify(bundle, pki.trust()),
        ReasonCode.CERT_UNTRUSTED);
    assertThat(e.reasons().get(0).message()).contains("Test Signer via Intermediate");
  }

  // ---------------------------------------------------------------- key material

  @Test
  void keyMaterialFromPem_signsVerifiableBundle() throws Exception {
    TestPki.Signer signer = signers.get(KeyType.EC_P256);
    Path[] files = signer.writePem(tmp, "vendor");

    KeyMaterial km = KeyMaterial.fromPem(files[0], files[1], null, null, KeyMaterial.RsaPadding.PSS);

    assertThat(km.certificate()).isEqualTo(signer.cert());
    assertThat(km.chain()).isEmpty();
    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPem_rsaPkcs1_signsVerifiableBundle() throws Exception {
    Path[] files = signers.get(KeyType.RSA_2048).writePem(tmp, "rsa");

    KeyMaterial km = KeyMaterial.fromPem(files[0], files[1], null, null,
        KeyMaterial.RsaPadding.PKCS1);

    assertThat(km.signatureAlgorithm()).isEqualTo("SHA256withRSA");
    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPem_certFileWithIntermediate_embedsIt() throws Exception {
    TestPki.Signer signer = pki.codeSignerViaIntermediate();
    Path[] files = signer.writePem(tmp, "vendor");

    KeyMaterial km = KeyMaterial.fromPem(files[0], files[1], null, null, KeyMaterial.RsaPadding.PSS);

    assertThat(km.chain()).containsExactlyElementsOf(signer.chain());
    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPem_separateChainFile_embedsIt() throws Exception {
    TestPki.Signer signer = pki.codeSignerViaIntermediate();
    Path key = tmp.resolve("leaf.key");
    Files.writeString(key, DemoPki.pem(new JcaPKCS8Generator(signer.key().getPrivate(), null)));
    Path cert = Files.writeString(tmp.resolve("leaf.pem"), DemoPki.pem(signer.cert()));
    Path chain = Files.writeString(tmp.resolve("chain.pem"), DemoPki.pem(signer.chain().get(0)));

    KeyMaterial km = KeyMaterial.fromPem(key, cert, chain, null, KeyMaterial.RsaPadding.PSS);

    assertThat(km.chain()).containsExactlyElementsOf(signer.chain());
    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPkcs12_jdkKeystoreWithChain_signsAndLeavesRootOut() throws Exception {
    TestPki.Signer signer = pki.codeSignerViaIntermediate();
    Path p12 = writePkcs12(signer, new Certificate[] {signer.cert(), signer.chain().get(0), pki.root});

    KeyMaterial km = KeyMaterial.fromPkcs12(p12, PASSWORD, null, KeyMaterial.RsaPadding.PSS);

    assertThat(km.certificate()).isEqualTo(signer.cert());
    assertThat(km.chain()).containsExactly(signer.chain().get(0)); // the root stays out
    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPkcs12_byAlias_andUnknownAlias() throws Exception {
    TestPki.Signer signer = signers.get(KeyType.ED25519);
    Path p12 = writePkcs12(signer, new Certificate[] {signer.cert()});

    assertThat(KeyMaterial.fromPkcs12(p12, PASSWORD, "vendor", KeyMaterial.RsaPadding.PSS)
        .certificate()).isEqualTo(signer.cert());
    RefusalException e = assertRefused(
        () -> KeyMaterial.fromPkcs12(p12, PASSWORD, "nobody", KeyMaterial.RsaPadding.PSS),
        ReasonCode.BAD_INPUT);
    assertThat(e.reasons().get(0).message()).contains("nobody");
  }

  @Test
  void keyMaterialFromPkcs12_wrongPassword_badInput() throws Exception {
    Path p12 = writePkcs12(signers.get(KeyType.EC_P256),
        new Certificate[] {signers.get(KeyType.EC_P256).cert()});

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> KeyMaterial.fromPkcs12(p12, "wrong".toCharArray(), null, KeyMaterial.RsaPadding.PSS));

    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
    assertThat(e.isError()).isTrue();
    assertThat(e.reasons().get(0).message()).contains(p12.toString()).contains("password");
  }

  @Test
  void keyMaterialFromPkcs12_wrongPassword_messageIsASentenceWithoutJavaClassNames()
      throws Exception {
    Path p12 = writePkcs12(signers.get(KeyType.EC_P256),
        new Certificate[] {signers.get(KeyType.EC_P256).cert()});

    // Fails today: the JDK's root cause text "...: javax.crypto.BadPaddingException: Given final
    // block not properly padded..." is passed through to the user (KeyMaterial.rootMessage).
    assertRefused(
        () -> KeyMaterial.fromPkcs12(p12, "wrong".toCharArray(), null, KeyMaterial.RsaPadding.PSS),
        ReasonCode.BAD_INPUT);
  }

  @Test
  void keyMaterialFromPem_encryptedPkcs8_withPassword_signs() throws Exception {
    TestPki.Signer signer = signers.get(KeyType.EC_P256);
    Path key = writeEncryptedKey(signer, tmp.resolve("vendor-enc.key"));
    Path cert = Files.writeString(tmp.resolve("vendor.pem"), DemoPki.pem(signer.cert()));
    assertThat(Files.readString(key)).contains("BEGIN ENCRYPTED PRIVATE KEY");

    KeyMaterial km = KeyMaterial.fromPem(key, cert, null, PASSWORD, KeyMaterial.RsaPadding.PSS);

    TestBundles.verify(TestBundles.sign(copyOfUnsigned(), km), pki.trust());
  }

  @Test
  void keyMaterialFromPem_encryptedPkcs8_wrongOrNoPassword_badInput() throws Exception {
    TestPki.Signer signer = signers.get(KeyType.EC_P256);
    Path key = writeEncryptedKey(signer, tmp.resolve("vendor-enc.key"));
    Path cert = Files.writeString(tmp.resolve("vendor.pem"), DemoPki.pem(signer.cert()));

    RefusalException wrong = assertRefused(
        () -> KeyMaterial.fromPem(key, cert, null, "wrong".toCharArray(),
            KeyMaterial.RsaPadding.PSS),
        ReasonCode.BAD_INPUT);
    assertThat(wrong.reasons().get(0).message()).contains(key.toString());
    RefusalException none = assertRefused(
        () -> KeyMaterial.fromPem(key, cert, null, null, KeyMaterial.RsaPadding.PSS),
        ReasonCode.BAD_INPUT);
    assertThat(none.reasons().get(0).message()).contains(key.toString()).contains("encrypted");
  }

  @Test
  void keyMaterial_keyOfAnotherCertificate_keyMismatch() throws Exception {
    TestPki.Signer a = signers.get(KeyType.EC_P256);
    TestPki.Signer b = pki.codeSigner(KeyType.EC_P256);
    TestPki.Signer rsa = signers.get(KeyType.RSA_2048);

    RefusalException sameType = assertRefused(
        () -> KeyMaterial.of(b.key().getPrivate(), a.cert(), List.of(), KeyMaterial.RsaPadding.PSS),
        ReasonCode.KEY_MISMATCH);
    assertThat(sameType.reasons().get(0).message())
        .contains(a.cert().getSubjectX500Principal().getName());
    assertRefused(
        () -> KeyMaterial.of(rsa.key().getPrivate(), a.cert(), List.of(),
            KeyMaterial.RsaPadding.PKCS1),
        ReasonCode.KEY_MISMATCH);
    // From files, too.
    Path keyB = b.writePem(tmp, "b")[0];
    Path certA = a.writePem(tmp, "a")[1];
    assertRefused(
        () -> KeyMaterial.fromPem(keyB, certA, null, null, KeyMaterial.RsaPadding.PSS),
        ReasonCode.KEY_MISMATCH);
  }

  @Test
  void keyMaterialFromPem_notAKey_badInput() throws Exception {
    Path cert = signers.get(KeyType.EC_P256).writePem(tmp, "vendor")[1];

    RefusalException e = assertRefused(
        () -> KeyMaterial.fromPem(cert, cert, null, null, KeyMaterial.RsaPadding.PSS),
        ReasonCode.BAD_INPUT);
    assertThat(e.reasons().get(0).message()).contains(cert.toString());
  }

  private Path writePkcs12(TestPki.Signer signer, Certificate[] chain) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("vendor", signer.key().getPrivate(), PASSWORD, chain);
    Path p12 = tmp.resolve("vendor.p12");
    try (OutputStream out = Files.newOutputStream(p12)) {
      ks.store(out, PASSWORD);
    }
    return p12;
  }

  private static Path writeEncryptedKey(TestPki.Signer signer, Path file) throws Exception {
    if (Security.getProvider("BC") == null) {
      Security.addProvider(new BouncyCastleProvider());
    }
    var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
        .setProvider("BC")
        .setPassword(PASSWORD)
        .build();
    Files.writeString(file, DemoPki.pem(new JcaPKCS8Generator(signer.key().getPrivate(), encryptor)),
        StandardCharsets.US_ASCII);
    return file;
  }

  // ---------------------------------------------------------------- manifest and RIM

  @Test
  @DisplayName("INT-4: the manifest lists every file with its size, mode and SHA-256, and the RIM")
  void build_manifestListsEveryFileWithSizeModeDigest() throws Exception {
    Manifest m;
    try (BundleReader r = BundleReader.open(unsigned, LIMITS)) {
      m = r.manifest();
    }

    Map<String, Manifest.FileEntry> listed = new TreeMap<>();
    m.files().forEach(f -> listed.put(f.path(), f));
    Map<String, Path> onDisk = filesBelow(tree);
    assertThat(listed.keySet()).containsExactlyElementsOf(onDisk.keySet());
    List<TreeDigest.Leaf> leaves = new ArrayList<>();
    for (Map.Entry<String, Path> e : onDisk.entrySet()) {
      Path file = e.getValue();
      byte[] content = Files.readAllBytes(file);
      int mode = FileModes.bits(Files.getPosixFilePermissions(file));
      Manifest.FileEntry f = listed.get(e.getKey());
      assertThat(f.size()).as(e.getKey()).isEqualTo(content.length);
      assertThat(f.sha256()).as(e.getKey()).isEqualTo(sha256(content));
      assertThat(f.modeBits()).as(e.getKey()).isEqualTo(mode);
      assertThat(f.mode()).as(e.getKey()).isEqualTo(String.format("%04o", mode));
      leaves.add(new TreeDigest.Leaf(e.getKey(), sha256(content), mode));
    }
    assertThat(listed.get(TestBundles.TOOL).mode()).isEqualTo("0755");
    assertThat(listed.get(TestBundles.EMPTY).size()).isZero();
    assertThat(listed.get(TestBundles.EMPTY).sha256())
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RIM (manifest) = TIM (files on disk): the same tree digest.
    assertThat(m.rim().algorithm()).isEqualTo(TreeDigest.ALGORITHM);
    assertThat(m.rim().digest()).isEqualTo(ManifestCodec.rimOf(m.files()));
    assertThat(m.rim().digest()).isEqualTo(TreeDigest.of(leaves));
    assertThat(m.format()).isEqualTo(BundleLayout.FORMAT);
    assertThat(m.name()).isEqualTo("mme-core");
    assertThat(m.version()).isEqualTo("1.0.0");
    assertThat(m.securityVersion()).isEqualTo(3);
    assertThat(m.neType()).isEqualTo("mme");
    assertThat(m.vendor()).isEqualTo("Example Vendor Ltd.");
    assertThat(m.created()).isEqualTo(CREATED.toString());
    assertThat(m.scanReports()).isEmpty();
  }

  @Test
  void build_manifestBytesRoundTripThroughCodec() throws Exception {
    byte[] bytes = TestBundles.entry(unsigned, BundleLayout.MANIFEST);
    Manifest m = ManifestCodec.decode(bytes);

    assertThat(ManifestCodec.encode(m)).isEqualTo(bytes);
    assertThat(new String(bytes, StandardCharsets.UTF_8)).endsWith("}\n");
  }

  @Test
  void build_compressesTextStoresRandomAndZipBombLikeFiles() throws Exception {
    assertThat(TestBundles.method(unsigned, "payload/share/doc/manual.txt"))
        .isEqualTo(ZipArchiveEntry.DEFLATED);
    assertThat(TestBundles.method(unsigned, "payload/lib/firmware/blob.bin"))
        .isEqualTo(ZipArchiveEntry.STORED);
    // 4 MiB of zeros deflates ~1000:1, past the reader's limit of 200: the builder stores it.
    assertThat(TestBundles.method(unsigned, "payload/var/zeros.img"))
        .isEqualTo(ZipArchiveEntry.STORED);
    try (var zip = org.apache.commons.compress.archivers.zip.ZipFile.builder().setPath(unsigned)
        .get()) {
      ZipArchiveEntry text = zip.getEntry("payload/share/doc/manual.txt");
      assertThat(text.getCompressedSize()).isLessThan(text.getSize() / 2);
    }
  }

  @Test
  void build_emptyTree_badInput() throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));

    assertRefused(() -> TestBundles.build(empty, tmp.resolve("x.ngp")), ReasonCode.BAD_INPUT);
    assertThat(tmp.resolve("x.ngp")).doesNotExist();
  }

  @Test
  void build_treeWithSymlink_badInputNamingIt() throws Exception {
    Path t = TestBundles.smallTree(tmp.resolve("t"));
    Files.createSymbolicLink(t.resolve("etc/link"), Path.of("/etc/passwd"));

    RefusalException e = assertRefused(() -> TestBundles.build(t, tmp.resolve("x.ngp")),
        ReasonCode.BAD_INPUT);
    assertThat(e.reasons().get(0).message()).contains("etc/link");
    assertThat(tmp.resolve("x.ngp")).doesNotExist();
  }

  // ---------------------------------------------------------------- extraction

  @Test
  @DisplayName("INT-1/INT-3: extraction verifies, then reproduces every file byte for byte with its mode")
  void extract_reproducesFilesAndModes() throws Exception {
    Path bundle = TestBundles.sign(copyOfUnsigned(), identity(Key.EC_P256));
    Path target = tmp.resolve("installed");

    Verification v = new BundleExtractor(TestBundles.verifier(pki.trust()))
        .extract(bundle, target, LIMITS, ProgressListener.NONE);

    assertThat(v.manifest().files()).hasSize(filesBelow(tree).size());
    Map<String, Path> source = filesBelow(tree);
    Map<String, Path> extracted = filesBelow(target);
    assertThat(extracted.keySet()).containsExactlyElementsOf(source.keySet());
    for (String rel : source.keySet()) {
      assertThat(extracted.get(rel)).as(rel).hasSameBinaryContentAs(source.get(rel));
      assertThat(Files.getPosixFilePermissions(extracted.get(rel))).as(rel)
          .isEqualTo(Files.getPosixFilePermissions(source.get(rel)));
    }
    assertThat(Files.getPosixFilePermissions(target.resolve("bin/tool")))
        .isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void extract_intoExistingEmptyDir_works() throws Exception {
    Path bundle = TestBundles.sign(copyOfUnsigned(), identity(Key.ED25519));
    Path target = Files.createDirectory(tmp.resolve("empty-target"));

    new BundleExtractor(TestBundles.verifier(pki.trust()))
        .extract(bundle, target, LIMITS, ProgressListener.NONE);

    assertThat(target.resolve(TestBundles.CONF)).hasSameBinaryContentAs(tree.resolve(TestBundles.CONF));
  }

  @Test
  void extract_intoNonEmptyDir_badInputAndNothingTouched() throws Exception {
    Path bundle = TestBundles.sign(copyOfUnsigned(), identity(Key.EC_P256));
    Path target = Files.createDirectory(tmp.resolve("busy"));
    Path existing = Files.writeString(target.resolve("keep.txt"), "mine");

    RefusalException e = assertRefused(
        () -> new BundleExtractor(TestBundles.verifier(pki.trust()))
            .extract(bundle, target, LIMITS, ProgressListener.NONE),
        ReasonCode.BAD_INPUT);

    assertThat(e.reasons().get(0).message()).contains(target.toString()).contains("not empty");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s).containsExactly(existing);
    }
    assertThat(existing).hasContent("mine");
  }

  @Test
  @DisplayName("INT-1/INT-3: extraction of an unsigned bundle is refused and writes nothing")
  void extract_unsigned_refusedAndNothingWritten() throws Exception {
    Path target = tmp.resolve("never");

    assertRefused(
        () -> new BundleExtractor(TestBundles.verifier(pki.trust()))
            .extract(copyOfUnsigned(), target, LIMITS, ProgressListener.NONE),
        ReasonCode.UNSIGNED);

    assertThat(target).doesNotExist();
  }

  // ---------------------------------------------------------------- re-signing

  @Test
  void sign_alreadySigned_withoutReplace_structure_withReplace_works() throws Exception {
    Path bundle = TestBundles.sign(copyOfUnsigned(), identity(Key.EC_P256));
    byte[] before = Files.readAllBytes(bundle);
    TestPki.Signer other = signers.get(KeyType.ED25519);
    BundleSigner signer = new BundleSigner(LIMITS, 2);

    RefusalException e = assertRefused(
        () -> signer.sign(bundle, other.material(), bundle, false, ProgressListener.NONE),
        ReasonCode.STRUCTURE);
    assertThat(e.reasons().get(0).message()).contains("already signed");
    assertThat(Files.readAllBytes(bundle)).isEqualTo(before);

    signer.sign(bundle, other.material(), bundle, true, ProgressListener.NONE);

    Verification v = TestBundles.verify(bundle, pki.trust());
    assertThat(v.signer().subject()).isEqualTo(other.cert().getSubjectX500Principal().getName());
    assertThat(BundleTamper.rawNames(bundle))
        .filteredOn(BundleLayout.SIGNATURE::equals).hasSize(1);
  }

  @Test
  void sign_toSeparateOutput_leavesInputUnsigned() throws Exception {
    Path in = copyOfUnsigned();
    byte[] before = Files.readAllBytes(in);
    Path out = tmp.resolve("signed.ngp");

    new BundleSigner(LIMITS, 2).sign(in, identity(Key.EC_P256), out, false, ProgressListener.NONE);

    assertThat(Files.readAllBytes(in)).isEqualTo(before);
    TestBundles.verify(out, pki.trust());
    // The signed bundle carries the manifest byte for byte.
    assertThat(TestBundles.entry(out, BundleLayout.MANIFEST))
        .isEqualTo(TestBundles.entry(in, BundleLayout.MANIFEST));
  }

  // ---------------------------------------------------------------- reproducibility

  @Test
  void build_sameTreeAndCreated_identicalBytes() throws Exception {
    Path a = tmp.resolve("a.ngp");
    Path b = tmp.resolve("b.ngp");
    TestBundles.builder().threads(1).build().build(tree, a);
    TestBundles.builder().threads(2).build().build(tree, b);

    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b))
        .isEqualTo(Files.readAllBytes(unsigned));
    // ...and the creation time is part of those bytes.
    Path c = tmp.resolve("c.ngp");
    TestBundles.builder().created(CREATED.plusSeconds(60)).build().build(tree, c);
    assertThat(Files.readAllBytes(c)).isNotEqualTo(Files.readAllBytes(a));
  }

  @Test
  void build_copiedTree_sameBytes() throws Exception {
    Path copy = tmp.resolve("copy");
    for (Map.Entry<String, Path> e : filesBelow(tree).entrySet()) {
      Path dest = copy.resolve(e.getKey());
      Files.createDirectories(dest.getParent());
      Files.copy(e.getValue(), dest, StandardCopyOption.COPY_ATTRIBUTES);
    }
    Path out = tmp.resolve("copy.ngp");

    TestBundles.build(copy, out);

    assertThat(out).hasSameBinaryContentAs(unsigned);
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, Path> filesBelow(Path root) throws IOException {
    Map<String, Path> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.filter(Files::isRegularFile).forEach(p -> files.put(root.relativize(p).toString(), p));
    }
    return files;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return Sha256.hex(bytes);
  }
}
