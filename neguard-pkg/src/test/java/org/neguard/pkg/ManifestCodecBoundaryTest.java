package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** INT-1: the manifest is read strictly, and each refusal says what is wrong in the manifest's terms. */
class ManifestCodecBoundaryTest {
  private static final String SHA = "ab".repeat(32);

  private static Manifest manifest(List<Manifest.FileEntry> files, List<Manifest.ScanReportRef> reports) {
    return new Manifest(BundleLayout.FORMAT, "pkg", "1.0", 1, "mme", "Vendor",
        "2026-01-15T10:00:00Z", new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(files)),
        files, reports);
  }

  private static String json() {
    Manifest m = manifest(List.of(new Manifest.FileEntry("bin/tool", 3, "0755", SHA)), List.of());
    return new String(ManifestCodec.encode(m), StandardCharsets.UTF_8);
  }

  private static String refusal(String json, ReasonCode code) {
    RefusalException e =
        assertRefused(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8)), code);
    return e.getMessage();
  }

  @Test
  @DisplayName("INT-1: a well-formed manifest decodes to what was encoded")
  void decode_encoded_roundTrips() throws Exception {
    Manifest m = manifest(List.of(new Manifest.FileEntry("bin/tool", 3, "0755", SHA)),
        List.of(new Manifest.ScanReportRef(BundleLayout.SCAN_PREFIX + "r.json", 5, SHA)));
    byte[] bytes = ManifestCodec.encode(m);
    assertThat(bytes[bytes.length - 1]).isEqualTo((byte) '\n');
    assertThat(ManifestCodec.decode(bytes)).isEqualTo(m);
  }

  @Test
  @DisplayName("INT-1: data after the JSON object is refused and said so")
  void decode_trailingData_malformedSaysDataFollows() {
    String msg = refusal(json() + "{}", ReasonCode.MALFORMED);
    assertThat(msg).contains("manifest is malformed: data follows the JSON object")
        .endsWith("; the package must be rebuilt");
  }

  @Test
  @DisplayName("INT-1: a missing field is named")
  void decode_missingField_malformedNamesTheField() {
    RefusalException e = assertRefused(() -> ManifestCodec.decode(
        json().replace("\"vendor\" : \"Vendor\",", "").getBytes(StandardCharsets.UTF_8)),
        ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains("manifest is malformed: missing field: vendor;")
        .doesNotContain("?");
  }

  @Test
  @DisplayName("INT-1: a field of the wrong type in the first array element is named with its index")
  void decode_wrongTypeInFirstFile_malformedNamesThePath() {
    String msg = refusal(json().replace("\"size\" : 3", "\"size\" : \"three\""), ReasonCode.MALFORMED);
    assertThat(msg).contains(
        "manifest is malformed: field 'files[0].size' is missing, null or of the wrong type");
  }

  @Test
  @DisplayName("INT-1: a wrong type at top level is named without a separator")
  void decode_wrongTypeTopLevel_malformedNamesTheField() {
    String msg = refusal(json().replace("\"securityVersion\" : 1", "\"securityVersion\" : \"x\""),
        ReasonCode.MALFORMED);
    assertThat(msg).contains("field 'securityVersion' is missing, null or of the wrong type");
  }

  @Test
  @DisplayName("INT-1: a document that is not an object is refused in the manifest's terms")
  void decode_array_malformedNotOfTheShape() {
    String msg = refusal("[1]", ReasonCode.MALFORMED);
    assertThat(msg).contains("the document is not a JSON object of the manifest's shape");
  }

  @Test
  @DisplayName("INT-1: a JSON null document is refused as empty")
  void decode_null_malformedEmpty() {
    assertThat(refusal("null", ReasonCode.MALFORMED)).contains("empty document");
  }

  @Test
  @DisplayName("INT-1: an unknown field is named")
  void decode_unknownField_malformedNamesIt() {
    String msg = refusal(json().replace("{", "{ \"extra\" : 1,"), ReasonCode.MALFORMED);
    assertThat(msg).contains("unknown field 'extra'");
  }

  @Test
  @DisplayName("INT-1: a multi-line detail is cut to its first line")
  void decode_formatWithNewline_messageIsFirstLineOnly() {
    String msg = refusal(json().replace("\"" + BundleLayout.FORMAT + "\"", "\"zz\\nyy\""),
        ReasonCode.MALFORMED);
    assertThat(msg).contains("manifest is malformed: format is zz; the package must be rebuilt")
        .doesNotContain("yy").doesNotContain("expected");
  }

  @Test
  @DisplayName("INT-1: a path listed twice is a STRUCTURE refusal")
  void check_duplicatePath_structure() {
    List<Manifest.FileEntry> one = List.of(new Manifest.FileEntry("a", 1, "0644", SHA));
    List<Manifest.FileEntry> files = List.of(one.get(0), one.get(0));
    Manifest m = new Manifest(BundleLayout.FORMAT, "pkg", "1.0", 1, "mme", "Vendor",
        "2026-01-15T10:00:00Z", new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(one)),
        files, List.of());
    RefusalException e = assertRefused(() -> ManifestCodec.check(m), ReasonCode.STRUCTURE);
    assertThat(e.getMessage()).contains("the manifest lists 'a' twice");
  }

  @Test
  @DisplayName("INT-1: a file that is also a directory of another is refused, at every depth")
  void check_fileIsAlsoDirectory_structure() {
    List<Manifest.FileEntry> files = List.of(new Manifest.FileEntry("a/b", 1, "0644", SHA),
        new Manifest.FileEntry("a/b/c/d", 1, "0644", SHA));
    RefusalException e = assertRefused(() -> ManifestCodec.check(manifest(files, List.of())),
        ReasonCode.STRUCTURE);
    assertThat(e.getMessage()).contains("lists 'a/b' as a file and as a directory of 'a/b/c/d'");
  }

  @Test
  @DisplayName("INT-1: sibling paths sharing a prefix are not a file/directory clash")
  void check_prefixSiblings_accepted() throws Exception {
    List<Manifest.FileEntry> files = List.of(new Manifest.FileEntry("a/b", 1, "0644", SHA),
        new Manifest.FileEntry("a/bc/d", 1, "0644", SHA), new Manifest.FileEntry("ab", 1, "0644", SHA));
    ManifestCodec.check(manifest(files, List.of()));
  }

  @Test
  @DisplayName("INT-1: a scan report exactly at the scan prefix, or outside it, is refused")
  void check_scanReportNotBelowPrefix_structure() throws Exception {
    for (String path : List.of(BundleLayout.SCAN_PREFIX, "neguard/other.json")) {
      RefusalException e = catchRefusal(path);
      assertThat(e.code()).isIn(ReasonCode.STRUCTURE, ReasonCode.UNSAFE_PATH);
    }
    RefusalException e = catchRefusal("neguard/other.json");
    assertThat(e.code()).isEqualTo(ReasonCode.STRUCTURE);
    assertThat(e.getMessage()).contains("is not below " + BundleLayout.SCAN_PREFIX);
    ManifestCodec.check(manifest(List.of(),
        List.of(new Manifest.ScanReportRef(BundleLayout.SCAN_PREFIX + "x", 1, SHA))));
  }

  private static RefusalException catchRefusal(String reportPath) {
    return org.assertj.core.api.Assertions.catchThrowableOfType(RefusalException.class,
        () -> ManifestCodec.check(manifest(List.of(),
            List.of(new Manifest.ScanReportRef(reportPath, 1, SHA)))));
  }

  @Test
  @DisplayName("INT-1: a scan report listed twice is a STRUCTURE refusal")
  void check_duplicateScanReport_structure() {
    Manifest.ScanReportRef r = new Manifest.ScanReportRef(BundleLayout.SCAN_PREFIX + "r", 1, SHA);
    RefusalException e = assertRefused(
        () -> ManifestCodec.check(manifest(List.of(), List.of(r, r))), ReasonCode.STRUCTURE);
    assertThat(e.getMessage()).contains("twice");
  }

  @Test
  @DisplayName("INT-1: a RIM that is not the tree digest of the files is DIGEST_MISMATCH")
  void check_wrongRim_digestMismatch() {
    List<Manifest.FileEntry> files = List.of(new Manifest.FileEntry("a", 1, "0644", SHA));
    Manifest m = new Manifest(BundleLayout.FORMAT, "pkg", "1.0", 1, "mme", "Vendor",
        "2026-01-15T10:00:00Z", new Manifest.Rim(TreeDigest.ALGORITHM, SHA), files, List.of());
    RefusalException e = assertRefused(() -> ManifestCodec.check(m), ReasonCode.DIGEST_MISMATCH);
    assertThat(e.getMessage()).contains("the manifest's RIM " + SHA);
  }
}
