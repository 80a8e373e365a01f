package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.pki.CertificateIssuer;
import org.neguard.sign.CmsSigner;
import org.neguard.sign.KeyMaterial;
import org.neguard.sign.TrustStore;
import org.neguard.testing.Openssl;
import org.neguard.testing.RequiredProgram;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * INT-2: only current algorithms are accepted (docs/FORMAT.md, "Algorithms"). The weak shapes are
 * made by the real openssl, as a careless or hostile signer would make them: SHA-1 CMS, RSA-1024
 * signer, intermediate signed with SHA-1, P-521 and secp256k1 keys, PSS with an MGF1-SHA-1, a
 * 1024-bit anchor; each is ALGORITHM_NOT_ALLOWED, and the allowed shapes keep passing.
 */
class AlgorithmAllowListTest {
  @TempDir static Path d;

  private static Path unsigned;

  @TempDir Path tmp;

  @BeforeAll
  static void setUp() throws Exception {
    RequiredProgram.require("openssl");
    unsigned = TestBundles.build(TestBundles.smallTree(d.resolve("tree")),
        d.resolve("unsigned.ngp"));
    Openssl.writeCaConfigs(d);
    root("root", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
    root("weakroot", "-newkey", "rsa:1024");
    leaf("ec", "root", "sha256", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
    leaf("p384", "root", "sha384", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384");
    leaf("rsa2048", "root", "sha256", "-newkey", "rsa:2048");
    leaf("rsa1024", "root", "sha256", "-newkey", "rsa:1024");
    leaf("p521", "root", "sha256", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521");
    leaf("k256", "root", "sha256", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1");
    leaf("underweak", "weakroot", "sha256", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256");
    // An intermediate CA the root signed with SHA-1, and a good leaf under it.
    Openssl.ok(d, "req", "-new", "-config", "min.cnf", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:P-256", "-nodes", "-keyout", "mid1.key", "-out", "mid1.csr",
        "-subj", "/CN=SHA-1 Intermediate CA/O=Allow List");
    Openssl.ok(d, "x509", "-req", "-sha1", "-in", "mid1.csr", "-CA", "root.pem", "-CAkey",
        "root.key", "-set_serial", "0x5001", "-days", "100", "-extfile", "ca.ext",
        "-out", "mid1.pem");
    leaf("undermid1", "mid1", "sha256", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
    // A leaf the root signed with SHA-1 itself.
    leaf("sha1cert", "root", "sha1", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
  }

  private static void root(String name, String... key) {
    List<String> args = new ArrayList<>(List.of("req", "-x509", "-config", "min.cnf"));
    args.addAll(List.of(key));
    args.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days",
        "3650", "-subj", "/CN=Allow List " + name + "/O=Allow List", "-addext",
        "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash"));
    Openssl.ok(d, args.toArray(String[]::new));
  }

  private static void leaf(String name, String ca, String md, String... key) {
    List<String> req = new ArrayList<>(List.of("req", "-new", "-config", "min.cnf"));
    req.addAll(List.of(key));
    req.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj",
        "/CN=Allow List signer " + name + "/O=Allow List"));
    Openssl.ok(d, req.toArray(String[]::new));
    Openssl.ok(d, "x509", "-req", "-" + md, "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
        ca + ".key", "-set_serial", "0x" + Integer.toHexString(name.hashCode() & 0xffffff),
        "-days", "365", "-extfile", "leaf.ext", "-out", name + ".pem");
  }

  /** Signs the bundle's manifest with {@code openssl cms -sign} and puts the signature in. */
  private Path opensslSigned(String signer, String chain, String... options) throws Exception {
    Path bundle = tmp.resolve(signer + ".ngp");
    Files.write(tmp.resolve("manifest.json"), TestBundles.entry(unsigned, BundleLayout.MANIFEST));
    List<String> args = new ArrayList<>(List.of("cms", "-sign", "-binary", "-in",
        tmp.resolve("manifest.json").toString(), "-signer", d.resolve(signer + ".pem").toString(),
        "-inkey", d.resolve(signer + ".key").toString(), "-outform", "DER",
        "-out", tmp.resolve("sig.p7s").toString()));
    if (chain != null) {
      args.addAll(List.of("-certfile", d.resolve(chain + ".pem").toString()));
    }
    args.addAll(List.of(options));
    Openssl.ok(tmp, args.toArray(String[]::new));
    return BundleTamper.of(unsigned)
        .put(BundleLayout.SIGNATURE, Files.readAllBytes(tmp.resolve("sig.p7s")))
        .write(bundle);
  }

  private static TrustStore trust(String root) throws Exception {
    return TrustStore.load(List.of(d.resolve(root + ".pem")), List.of());
  }

  private static RefusalException refusedAlgorithm(Path bundle, TrustStore trust) {
    return assertRefused(() -> TestBundles.verify(bundle, trust),
        ReasonCode.ALGORITHM_NOT_ALLOWED);
  }

  @ParameterizedTest(name = "INT-2: an openssl CMS signature with {0} passes")
  @ValueSource(strings = {"sha256", "sha384", "sha512"})
  void verify_opensslEcdsaWithAllowedDigest_passes(String md) throws Exception {
    Verification v = TestBundles.verify(opensslSigned("ec", null, "-md", md), trust("root"));

    assertThat(v.signer().subject()).contains("Allow List signer ec");
  }

  @Test
  @DisplayName("INT-2: openssl-made P-384, RSA-2048 PKCS#1 and PSS signers pass")
  void verify_opensslAllowedKeys_pass() throws Exception {
    TestBundles.verify(opensslSigned("p384", null, "-md", "sha384"), trust("root"));
    TestBundles.verify(opensslSigned("rsa2048", null, "-md", "sha256"), trust("root"));
    TestBundles.verify(opensslSigned("rsa2048", null, "-md", "sha256", "-keyopt",
        "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"), trust("root"));
    // Ed25519 is covered by BundleRoundTripTest: openssl 3 cannot sign Ed25519 CMS with signed
    // attributes (docs/FORMAT.md).
  }

  @Test
  @DisplayName("INT-2: a CMS signature made with openssl cms -sign -md sha1 is ALGORITHM_NOT_ALLOWED")
  void verify_opensslSha1Signature_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("ec", null, "-md", "sha1"),
        trust("root"));

    assertThat(e.reasons().get(0).message()).contains("SHA1", "digest algorithm");
    assertThat(e.reasons().get(0).subject()).contains("Allow List signer ec");
  }

  @Test
  @DisplayName("INT-2: RSA-PSS whose MGF1 uses SHA-1 is ALGORITHM_NOT_ALLOWED")
  void verify_opensslPssWithMgf1Sha1_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("rsa2048", null, "-md", "sha256",
        "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_mgf1_md:sha1"), trust("root"));

    assertThat(e.reasons().get(0).message()).contains("MGF1");
  }

  @Test
  @DisplayName("INT-2: an RSA-1024 signer is ALGORITHM_NOT_ALLOWED")
  void verify_opensslRsa1024Signer_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("rsa1024", null, "-md", "sha256"),
        trust("root"));

    assertThat(e.reasons().get(0).message()).contains("1024-bit RSA", "2048");
  }

  @ParameterizedTest(name = "INT-2: a signer key on {0} is ALGORITHM_NOT_ALLOWED")
  @ValueSource(strings = {"p521", "k256"})
  void verify_opensslSignerOnOtherCurve_algorithmNotAllowed(String signer) throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned(signer, null, "-md", "sha256"),
        trust("root"));

    assertThat(e.reasons().get(0).message()).contains("P-256 and P-384");
  }

  @Test
  @DisplayName("INT-2: an intermediate CA signed with SHA-1 is ALGORITHM_NOT_ALLOWED, naming it")
  void verify_intermediateSignedWithSha1_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("undermid1", "mid1", "-md", "sha256"),
        trust("root"));

    assertThat(e.reasons().get(0).subject()).contains("SHA-1 Intermediate CA");
    assertThat(e.reasons().get(0).message()).contains("intermediate CA", "SHA1");
  }

  @Test
  @DisplayName("INT-2: a signer certificate signed with SHA-1 is ALGORITHM_NOT_ALLOWED")
  void verify_signerCertificateSignedWithSha1_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("sha1cert", null, "-md", "sha256"),
        trust("root"));

    assertThat(e.reasons().get(0).message()).contains("signer certificate", "SHA1");
  }

  @Test
  @DisplayName("INT-2: a trust anchor with an RSA-1024 key is ALGORITHM_NOT_ALLOWED")
  void verify_anchorWithRsa1024Key_algorithmNotAllowed() throws Exception {
    RefusalException e = refusedAlgorithm(opensslSigned("underweak", null, "-md", "sha256"),
        trust("weakroot"));

    assertThat(e.reasons().get(0).message()).contains("trust anchor", "1024-bit RSA");
  }

  @Test
  @DisplayName("INT-2: a CRL of the signer's issuer signed with SHA-1 is ALGORITHM_NOT_ALLOWED")
  void verify_crlSignedWithSha1_algorithmNotAllowed() throws Exception {
    TestPki pki = TestPki.create();
    Path bundle = TestBundles.signedSmallBundle(tmp, "crl", pki.codeSigner().material());
    X509CRL sha1Crl = pki.crl("SHA1withECDSA");
    X509CRL sha256Crl = pki.crl("SHA256withECDSA");

    TestBundles.verify(bundle, pki.trust(sha256Crl));
    RefusalException e = refusedAlgorithm(bundle, pki.trust(sha1Crl));
    assertThat(e.reasons().get(0).message()).contains("CRL", "SHA1");
  }

  @Test
  @DisplayName("INT-2: NEGuard itself refuses to sign with an RSA-1024 key, before any signing")
  void sign_rsa1024Key_algorithmNotAllowed() throws Exception {
    TestPki pki = TestPki.create();
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    KeyPair key = g.generateKeyPair();
    X509Certificate cert = CertificateIssuer.forSubject("CN=Weak Signer", key.getPublic())
        .validity(Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(9)))
        .codeSigning()
        .issuedBy(pki.root, pki.rootKey.getPrivate());
    KeyMaterial weak = KeyMaterial.of(key.getPrivate(), cert, List.of(),
        KeyMaterial.RsaPadding.PSS);

    assertRefused(() -> CmsSigner.signDetached(new byte[] {1}, weak),
        ReasonCode.ALGORITHM_NOT_ALLOWED);
  }
}
