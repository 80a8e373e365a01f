package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.json.StrictJson;
import org.neguard.measure.Sha256;
import org.neguard.progress.ProgressListener;
import org.neguard.sign.CmsSigner;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The SBOM entry {@code neguard/sbom.cdx.json} (issue 16, docs/FORMAT.md): listed in the signed
 * manifest with its size and SHA-256, format {@code neguard-package/2} when present, /1 otherwise,
 * and every way of slipping an SBOM past the signature refused.
 */
class SbomEntryTest {
  private static final String SBOM = BundleLayout.SBOM;
  private static final byte[] DOC =
      ("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"version\":1,\"components\":["
          + "{\"type\":\"library\",\"name\":\"inetutils-telnetd\",\"version\":\"2:2.4-2\","
          + "\"purl\":\"pkg:deb/debian/inetutils-telnetd@2%3A2.4-2?distro=debian-12\"}]}\n")
          .getBytes(StandardCharsets.UTF_8);

  @TempDir static Path shared;
  @TempDir Path tmp;

  private static TestPki pki;
  private static TestPki.Signer signer;
  /** Signed, with an SBOM. */
  private static Path withSbom;
  /** Signed, without an SBOM: format /1. */
  private static Path plain;

  @BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    signer = pki.codeSigner();
    Path tree = TestBundles.smallTree(shared.resolve("tree"));
    withSbom = shared.resolve("sbom.ngp");
    TestBundles.builder().sbom(DOC).build().build(tree, withSbom);
    TestBundles.sign(withSbom, signer.material());
    plain = TestBundles.signedSmallBundle(shared, "plain", signer.material());
  }

  private Path bad() {
    return tmp.resolve("bad.ngp");
  }

  private static Verification verify(Path bundle) throws Exception {
    return TestBundles.verify(bundle, pki.trust());
  }

  private static Optional<byte[]> readSbom(Path bundle) throws Exception {
    try (BundleReader r = BundleReader.open(bundle, TestBundles.LIMITS)) {
      return r.readSbom();
    }
  }

  @Test
  @DisplayName("AV-2, INT-4: a bundle built with an SBOM is neguard-package/2, lists it with size and SHA-256, verifies, and reads back the exact bytes")
  void sbom_roundTrip() throws Exception {
    Manifest m = verify(withSbom).manifest();
    assertThat(m.format()).isEqualTo("neguard-package/2");
    assertThat(m.sbom()).contains(new Manifest.SbomRef(SBOM, DOC.length, Sha256.hex(DOC)));
    assertThat(readSbom(withSbom)).hasValueSatisfying(b -> assertThat(b).isEqualTo(DOC));
    // A streaming unzipper (the one reading an NE agent relies on) sees the same SBOM bytes.
    try (ZipInputStream in = new ZipInputStream(java.nio.file.Files.newInputStream(withSbom))) {
      byte[] seen = null;
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.getName().equals(SBOM)) {
          seen = in.readAllBytes();
        }
      }
      assertThat(seen).isEqualTo(DOC);
    }
  }

  @Test
  @DisplayName("INT-1: extracting a neguard-package/2 bundle (what the agent does) verifies it and writes the payload only, not the SBOM")
  void extract_format2_payloadOnly() throws Exception {
    Path target = tmp.resolve("installed");
    Verification v = new BundleExtractor(TestBundles.verifier(pki.trust()))
        .extract(withSbom, target, TestBundles.LIMITS, ProgressListener.NONE);
    assertThat(v.manifest().sbom()).isPresent();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(target)) {
      assertThat(files.filter(java.nio.file.Files::isRegularFile)
          .map(f -> target.relativize(f).toString()).sorted().toList())
          .containsExactly(TestBundles.TOOL, TestBundles.EMPTY, TestBundles.CONF, TestBundles.DATA)
          .doesNotContain(SBOM);
    }
  }

  @Test
  @DisplayName("AV-2: a bundle without an SBOM stays neguard-package/1, byte for byte the manifest deployed agents read")
  void noSbom_staysFormat1() throws Exception {
    Manifest m = verify(plain).manifest();
    assertThat(m.format()).isEqualTo("neguard-package/1");
    assertThat(m.sbom()).isEmpty();
    assertThat(readSbom(plain)).isEmpty();
    String json = new String(TestBundles.entry(plain, BundleLayout.MANIFEST), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("sbom");
    // The /1 shape is exactly the shape the reader before issue 16 required (every field, no
    // other): a deployed reader accepts it.
    ObjectMapper v1Only = StrictJson.builder().build();
    assertThat(v1Only.readValue(json, DatabindManifestOracle.WireV1.class).manifest()).isEqualTo(m);
  }

  @Test
  @DisplayName("AV-2: a deployed reader that knows only neguard-package/1 refuses a /2 manifest instead of ignoring its SBOM")
  void format1Reader_refusesFormat2() throws Exception {
    // The reader of main before issue 16 decoded the /1 shape strictly: an unknown field is an
    // error, so the 'sbom' field stops it before anything is trusted (docs/AGENT.md).
    ObjectMapper v1Only = StrictJson.builder().build();
    byte[] json = TestBundles.entry(withSbom, BundleLayout.MANIFEST);
    UnrecognizedPropertyException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        UnrecognizedPropertyException.class,
        () -> v1Only.readValue(json, DatabindManifestOracle.WireV1.class));
    assertThat(e).isNotNull();
    assertThat(e.getPropertyName()).isEqualTo("sbom");
  }

  @Test
  @DisplayName("AV-2, INT-4: an SBOM entry in the zip but not listed in the signed manifest is STRUCTURE, on open and on verify")
  void unlistedSbomEntry_structure() throws Exception {
    BundleTamper.of(plain).add(SBOM, DOC).write(bad());
    RefusalException open = assertRefused(
        () -> BundleReader.open(bad(), TestBundles.LIMITS).close(), ReasonCode.STRUCTURE);
    assertThat(open.reasons().get(0).subject()).isEqualTo(SBOM);
    assertThat(open.getMessage()).contains("not listed in the manifest");
    assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
  }

  @Test
  @DisplayName("AV-2, INT-4: a manifest that lists an SBOM the zip does not hold is STRUCTURE")
  void listedSbomMissing_structure() throws Exception {
    BundleTamper.of(withSbom).remove(SBOM).write(bad());
    RefusalException e = assertRefused(() -> verify(bad()), ReasonCode.STRUCTURE);
    assertThat(e.reasons().get(0).subject()).isEqualTo(SBOM);
    assertThat(e.getMessage()).contains("missing from the archive");
  }

  @Test
  @DisplayName("AV-2, INT-4: an SBOM swapped after signing (same size, other bytes) is DIGEST_MISMATCH in verify and in readSbom")
  void swappedSbom_digestMismatch() throws Exception {
    byte[] forged = DOC.clone();
    int at = new String(forged, StandardCharsets.UTF_8).indexOf("2.4-2");
    forged[at + 4] = '9'; // 2.4-9: a "fixed" version, same length
    BundleTamper.of(withSbom).replace(SBOM, forged).write(bad());
    RefusalException v = assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);
    assertThat(v.reasons().get(0).subject()).isEqualTo(SBOM);
    RefusalException r = assertRefused(() -> readSbom(bad()), ReasonCode.DIGEST_MISMATCH);
    assertThat(r.getMessage()).contains(SBOM).contains("SHA-256");
  }

  @Test
  @DisplayName("AV-2, INT-4: an SBOM shorter than listed is DIGEST_MISMATCH; one longer is SIZE_LIMIT before it is read")
  void sbomSize_checked() throws Exception {
    BundleTamper.of(withSbom).replace(SBOM, Arrays.copyOf(DOC, DOC.length - 2)).write(bad());
    assertRefused(() -> readSbom(bad()), ReasonCode.DIGEST_MISMATCH);
    assertRefused(() -> verify(bad()), ReasonCode.DIGEST_MISMATCH);

    Path longer = tmp.resolve("longer.ngp");
    byte[] more = Arrays.copyOf(DOC, DOC.length + 100);
    Arrays.fill(more, DOC.length, more.length, (byte) ' ');
    BundleTamper.of(withSbom).replace(SBOM, more).write(longer);
    RefusalException e = assertRefused(
        () -> BundleReader.open(longer, TestBundles.LIMITS).close(), ReasonCode.SIZE_LIMIT);
    assertThat(e.reasons().get(0).subject()).isEqualTo(SBOM);
  }

  @Test
  @DisplayName("OBJ-1: readSbom refuses an SBOM listed above its bound before allocating a buffer for it")
  void sbomBound_sizeLimit() throws Exception {
    try (BundleReader r = BundleReader.open(withSbom, TestBundles.LIMITS)) {
      RefusalException e = assertRefused(() -> r.readSbom(DOC.length - 1), ReasonCode.SIZE_LIMIT);
      assertThat(e.getMessage()).contains("limit of " + (DOC.length - 1));
      assertThat(r.readSbom(DOC.length)).isPresent(); // control: exactly at the bound
    }
  }

  @Test
  @DisplayName("AV-2: the SBOM listed under another path (a scan report's, a payload file's) is STRUCTURE")
  void sbomAtOtherPath_structure() throws Exception {
    for (String path : List.of(BundleLayout.SCAN_PREFIX + "x.json", "payload/bin/tool", "sbom.json")) {
      Manifest m = TestBundles.verify(withSbom, pki.trust()).manifest();
      Manifest moved = m.withSbom(Optional.of(new Manifest.SbomRef(path, DOC.length, Sha256.hex(DOC))));
      RefusalException e = assertRefused(
          () -> ManifestCodec.decode(ManifestCodec.encode(moved)), ReasonCode.STRUCTURE);
      assertThat(e.getMessage()).as(path).contains("must be " + SBOM);
    }
  }

  @Test
  @DisplayName("AV-2: the format must say whether an SBOM is listed: /1 with an sbom field, /2 without one, an unknown /3, and a null sbom are MALFORMED")
  void formatAndSbom_mustAgree() throws Exception {
    byte[] v2 = TestBundles.entry(withSbom, BundleLayout.MANIFEST);
    byte[] v1 = TestBundles.entry(plain, BundleLayout.MANIFEST);
    assertMalformed(edit(v2, s -> s.replace("neguard-package/2", "neguard-package/1")), "lists SBOM");
    assertMalformed(edit(v1, s -> s.replace("neguard-package/1", "neguard-package/2")), "lists no SBOM");
    assertMalformed(edit(v1, s -> s.replace("neguard-package/1", "neguard-package/3")), "upgrade");
    assertMalformed(edit(v2, s -> s.replaceFirst("\"sbom\" : \\{[^}]*\\}", "\"sbom\" : null")),
        "sbom");
    assertMalformed(edit(v2, s -> s.replace("\"sha256\" : \"" + Sha256.hex(DOC) + "\"",
        "\"sha256\" : \"" + Sha256.hex(DOC) + "\", \"extra\" : 1")), "extra");
    // Control: the unedited manifests decode.
    assertThat(ManifestCodec.decode(v2).sbom()).isPresent();
    assertThat(ManifestCodec.decode(v1).sbom()).isEmpty();
  }

  @Test
  @DisplayName("INT-1: listing an SBOM in a signed /1 manifest (format, field and entry added) is SIGNATURE_INVALID")
  void sbomAddedAfterSigning_signatureInvalid() throws Exception {
    Manifest m = verify(plain).manifest()
        .withSbom(Optional.of(new Manifest.SbomRef(SBOM, DOC.length, Sha256.hex(DOC))));
    BundleTamper.of(plain).replace(BundleLayout.MANIFEST, ManifestCodec.encode(m))
        .add(SBOM, DOC).write(bad());
    assertRefused(() -> verify(bad()), ReasonCode.SIGNATURE_INVALID);
    // Control: the same bundle signed by the vendor verifies.
    BundleTamper.of(bad())
        .replace(BundleLayout.SIGNATURE,
            CmsSigner.signDetached(ManifestCodec.encode(m), signer.material()))
        .write(tmp.resolve("resigned.ngp"));
    assertThat(verify(tmp.resolve("resigned.ngp")).manifest().sbom()).isPresent();
  }

  @Test
  @DisplayName("AV-2: pkg scan's rewrite (scan reports added) and pkg sign keep the SBOM, listed and intact")
  void rewriters_keepSbom() throws Exception {
    Path tree = TestBundles.smallTree(tmp.resolve("tree"));
    Path unsigned = tmp.resolve("u.ngp");
    TestBundles.builder().sbom(DOC).build().build(tree, unsigned);
    byte[] report = "{\"report\":1}".getBytes(StandardCharsets.UTF_8);
    try (BundleReader r = BundleReader.open(unsigned, TestBundles.LIMITS)) {
      Manifest m = ScanReportWriter.write(
          r, Map.of(BundleLayout.SCAN_PREFIX + "01-x.json", report), unsigned);
      assertThat(m.sbom()).isPresent();
      assertThat(m.format()).isEqualTo(BundleLayout.FORMAT_SBOM);
    }
    new BundleSigner(TestBundles.LIMITS, 2)
        .sign(unsigned, signer.material(), unsigned, false, ProgressListener.NONE);
    Manifest signed = verify(unsigned).manifest();
    assertThat(signed.scanReports()).hasSize(1);
    assertThat(signed.sbom()).contains(new Manifest.SbomRef(SBOM, DOC.length, Sha256.hex(DOC)));
    assertThat(readSbom(unsigned)).hasValueSatisfying(b -> assertThat(b).isEqualTo(DOC));
  }

  @Test
  @DisplayName("OBJ-1: an SBOM that would deflate past the readers' ratio limit is stored instead, so the builder never writes a bundle its readers refuse")
  void repetitiveSbom_storedNotRefused() throws Exception {
    byte[] big = new byte[3 << 20];
    Arrays.fill(big, (byte) ' ');
    System.arraycopy(DOC, 0, big, 0, DOC.length - 1); // JSON, then 3 MiB of whitespace
    Path out = tmp.resolve("big.ngp");
    TestBundles.builder().sbom(big).build().build(TestBundles.smallTree(tmp.resolve("t")), out);
    assertThat(TestBundles.method(out, SBOM)).isEqualTo(java.util.zip.ZipEntry.STORED);
    assertThat(readSbom(out)).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
  }

  private static byte[] edit(byte[] json, UnaryOperator<String> f) {
    String before = new String(json, StandardCharsets.UTF_8);
    String after = f.apply(before);
    assertThat(after).as("the edit changed something").isNotEqualTo(before);
    return after.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertMalformed(byte[] json, String mention) {
    RefusalException e = assertRefused(() -> ManifestCodec.decode(json), ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains(mention);
  }
}
