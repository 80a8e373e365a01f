package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.sign.TrustStore;
import org.neguard.sign.TrustStore.AnchorFile;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * SRC-2, INT-2: a signer speaks only for the vendor its trust anchor is bound to (docs/FORMAT.md,
 * "Vendor binding"). Two vendor PKIs, ACME and Rival; each can sign, neither in the other's name.
 */
class VendorBindingTest {
  static final String ACME = "ACME Networks";
  static final String RIVAL = "Rival Radio";

  @TempDir static Path d;

  static TestPki acme;
  static TestPki rival;
  /** A package naming ACME, signed by ACME's signer. */
  static Path acmeByAcme;
  /** A package naming ACME, signed by Rival's signer: the attack. */
  static Path acmeByRival;
  static Path acmeRoot;
  static Path rivalRoot;

  @BeforeAll
  static void setUp() throws Exception {
    acme = TestPki.create("CN=ACME Root CA,O=ACME Networks");
    rival = TestPki.create("CN=Rival Root CA,O=Rival Radio");
    acmeByAcme = bundle("acme-by-acme", ACME, acme);
    acmeByRival = bundle("acme-by-rival", ACME, rival);
    acmeRoot = acme.writeRoot(d.resolve("acme-ca.pem"));
    rivalRoot = rival.writeRoot(d.resolve("rival-ca.pem"));
  }

  private static Path bundle(String name, String vendor, TestPki pki) throws Exception {
    Path tree = TestBundles.smallTree(d.resolve(name + "-tree"));
    Path out = d.resolve(name + BundleLayout.EXTENSION);
    TestBundles.builder().vendor(vendor).build().build(tree, out);
    return TestBundles.sign(out, pki.codeSigner().material());
  }

  private static TrustStore bound(String acmeVendor, String rivalVendor) throws Exception {
    return TrustStore.loadBound(List.of(new AnchorFile(acmeRoot, acmeVendor),
        new AnchorFile(rivalRoot, rivalVendor)), List.of());
  }

  @Test
  @DisplayName("SRC-2: with both vendors bound, Rival signing a package that names ACME is VENDOR_MISMATCH")
  void verify_otherVendorsSignerClaimsVendor_vendorMismatch() throws Exception {
    TrustStore trust = bound(ACME, RIVAL);

    RefusalException e = assertRefused(() -> TestBundles.verify(acmeByRival, trust),
        ReasonCode.VENDOR_MISMATCH);

    assertThat(e.reasons().get(0).subject()).contains("Rival Root CA");
    assertThat(e.reasons().get(0).message())
        .contains("'ACME Networks'", "vendor 'Rival Radio'", "--trust 'ACME Networks=CA.pem'");
  }

  @Test
  @DisplayName("SRC-2: with both vendors bound, ACME's own signer passes for ACME")
  void verify_ownVendorsSigner_passes() throws Exception {
    Verification v = TestBundles.verify(acmeByAcme, bound(ACME, RIVAL));

    assertThat(v.manifest().vendor()).isEqualTo(ACME);
    assertThat(v.signer().path()).last().asString().contains("ACME Root CA");
  }

  @Test
  @DisplayName("SRC-2: two unbound anchors speak for no vendor: even ACME's own package is VENDOR_MISMATCH")
  void verify_twoUnboundAnchors_vendorMismatch() throws Exception {
    TrustStore trust = TrustStore.load(List.of(acmeRoot, rivalRoot), List.of());

    RefusalException e = assertRefused(() -> TestBundles.verify(acmeByAcme, trust),
        ReasonCode.VENDOR_MISMATCH);
    assertThat(e.reasons().get(0).message()).contains("no vendor");
    assertRefused(() -> TestBundles.verify(acmeByRival, trust), ReasonCode.VENDOR_MISMATCH);
  }

  @Test
  @DisplayName("SRC-2: one bound and one unbound anchor: the unbound one speaks for no vendor")
  void verify_unboundBesideBound_vendorMismatch() throws Exception {
    TrustStore trust = bound(ACME, null);

    TestBundles.verify(acmeByAcme, trust);
    assertRefused(() -> TestBundles.verify(acmeByRival, trust), ReasonCode.VENDOR_MISMATCH);
  }

  @Test
  @DisplayName("SRC-2: a single unbound anchor speaks for any vendor (single-vendor use needs no binding)")
  void verify_singleUnboundAnchor_passesAnyVendor() throws Exception {
    TrustStore trust = TrustStore.load(List.of(rivalRoot), List.of());

    assertThat(TestBundles.verify(acmeByRival, trust).manifest().vendor()).isEqualTo(ACME);
    assertThat(trust.describeBinding(rival.root)).contains("any vendor");
  }

  @Test
  @DisplayName("SRC-2: the same certificate listed twice unbound is still the single anchor")
  void verify_sameUnboundAnchorTwice_isStillSingle() throws Exception {
    TrustStore trust = TrustStore.load(List.of(rivalRoot, rivalRoot), List.of());

    TestBundles.verify(acmeByRival, trust);
  }

  @Test
  @DisplayName("SRC-2: a single anchor bound to another vendor is VENDOR_MISMATCH; names compare exactly")
  void verify_singleAnchorBoundElsewhere_vendorMismatch() throws Exception {
    TrustStore rivalOnly = TrustStore.loadBound(
        List.of(new AnchorFile(rivalRoot, RIVAL)), List.of());
    TrustStore acmeLowerCase = TrustStore.loadBound(
        List.of(new AnchorFile(acmeRoot, "acme networks")), List.of());

    assertRefused(() -> TestBundles.verify(acmeByRival, rivalOnly), ReasonCode.VENDOR_MISMATCH);
    assertRefused(() -> TestBundles.verify(acmeByAcme, acmeLowerCase),
        ReasonCode.VENDOR_MISMATCH);
  }

  @Test
  @DisplayName("SRC-2: an anchor bound twice speaks for both vendors, and only those")
  void loadBound_sameAnchorTwoVendors_speaksForBoth() throws Exception {
    TrustStore trust = TrustStore.loadBound(List.of(new AnchorFile(acmeRoot, ACME),
        new AnchorFile(acmeRoot, "ACME Labs"), new AnchorFile(rivalRoot, RIVAL)), List.of());

    assertThat(trust.vendors().get(acme.root)).containsExactly("ACME Labs", ACME); // sorted
    assertThat(trust.speaksFor(acme.root, "ACME Labs")).isTrue();
    assertThat(trust.speaksFor(acme.root, RIVAL)).isFalse();
    assertThat(trust.describeBinding(acme.root)).isEqualTo("vendor 'ACME Labs', 'ACME Networks'");
    TestBundles.verify(acmeByAcme, trust);
  }

  @Test
  @DisplayName("SRC-2: --trust VENDOR=PATH parses; a path that exists wins over the '=' split")
  void anchorFile_parse() throws Exception {
    assertThat(AnchorFile.parse("ACME Networks=" + acmeRoot))
        .isEqualTo(new AnchorFile(acmeRoot, ACME));
    assertThat(AnchorFile.parse(acmeRoot.toString())).isEqualTo(new AnchorFile(acmeRoot, null));
    assertThat(AnchorFile.parse("A=B=c.pem")).isEqualTo(new AnchorFile(Path.of("B=c.pem"), "A"));
    Path withEquals = Files.copy(acmeRoot, d.resolve("x=y.pem"));
    assertThat(AnchorFile.parse(withEquals.toString()))
        .isEqualTo(new AnchorFile(withEquals, null));
    assertThatThrownBy(() -> AnchorFile.parse("ACME=")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ACME='").hasMessageContaining("VENDOR=CA.pem");
    assertThatThrownBy(() -> AnchorFile.parse("=" + acmeRoot.resolveSibling("nope.pem")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    assertThatThrownBy(() -> AnchorFile.parse(" =a.pem"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--trust ' =a.pem'");
  }

  @Test
  @DisplayName("SRC-2: vendor names are 1-256 characters, not blank, as in the manifest")
  void anchorFile_vendorNameLimits() {
    assertThat(new AnchorFile(acmeRoot, "v".repeat(256)).vendor()).hasSize(256);
    assertThat(new AnchorFile(acmeRoot, "v").vendor()).isEqualTo("v");
    assertThatThrownBy(() -> new AnchorFile(acmeRoot, "v".repeat(257)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
    assertThatThrownBy(() -> new AnchorFile(acmeRoot, "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AnchorFile(acmeRoot, " \t"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("SRC-2: a binding must name an anchor and at least one vendor; bindings are copied")
  void trustStore_bindingShape() {
    assertThatThrownBy(() -> new TrustStore(List.of(acme.root), List.of(),
        Map.of(rival.root, Set.of(RIVAL))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Rival Root CA");
    assertThatThrownBy(() -> new TrustStore(List.of(acme.root), List.of(),
        Map.of(acme.root, Set.of())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no vendor");
    assertThatThrownBy(() -> new TrustStore(List.of(acme.root), List.of(),
        Map.of(acme.root, Set.of(" "))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TrustStore(List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("anchors is empty");
    java.util.HashSet<String> names = new java.util.HashSet<>(Set.of(ACME));
    TrustStore t = new TrustStore(List.of(acme.root), List.of(), Map.of(acme.root, names));
    names.add(RIVAL);
    assertThat(t.speaksFor(acme.root, RIVAL)).isFalse();
    assertThatThrownBy(() -> t.vendors().get(acme.root).add(RIVAL))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  @DisplayName("SRC-2: loading refuses a missing or empty anchor file with TRUST_CONFIG")
  void loadBound_badFiles_trustConfig() throws Exception {
    Path empty = Files.createDirectory(d.resolve("empty-dir"));
    Path notPem = Files.writeString(d.resolve("not.pem"), "hello");

    RefusalException none = assertRefused(
        () -> TrustStore.loadBound(List.of(new AnchorFile(empty, ACME)), List.of()),
        ReasonCode.TRUST_CONFIG);
    assertThat(none.reasons().get(0).message()).contains("no trust anchor", "empty-dir");
    RefusalException bad = assertRefused(
        () -> TrustStore.load(List.of(notPem), List.of()), ReasonCode.TRUST_CONFIG);
    assertThat(bad.reasons().get(0).message()).contains("not.pem");
    RefusalException badCrl = assertRefused(
        () -> TrustStore.load(List.of(acmeRoot), List.of(notPem)), ReasonCode.TRUST_CONFIG);
    assertThat(badCrl.reasons().get(0).message()).contains("CRL");
  }

  @Test
  @DisplayName("SRC-2: a directory of anchors bound to one vendor binds each of them, sorted by name")
  void loadBound_directory_bindsEveryCertificate() throws Exception {
    Path dir = Files.createDirectory(d.resolve("anchors"));
    Files.copy(rivalRoot, dir.resolve("b.pem"));
    Files.copy(acmeRoot, dir.resolve("a.crt"));
    Files.writeString(dir.resolve("ignored.txt"), "not a certificate");
    TestPki.create("CN=CRL Issuer").writeRoot(d.resolve("crl-ca.pem"));
    Path crl = TestPki.writeCrl(d.resolve("acme.crl"), acme.crl());

    TrustStore trust = TrustStore.loadBound(List.of(new AnchorFile(dir, ACME)), List.of(crl));

    assertThat(trust.anchors()).containsExactly(acme.root, rival.root);
    assertThat(trust.crls()).hasSize(1);
    assertThat(trust.speaksFor(rival.root, ACME)).isTrue();
    assertThat(trust.speaksFor(rival.root, RIVAL)).isFalse();
  }
}
