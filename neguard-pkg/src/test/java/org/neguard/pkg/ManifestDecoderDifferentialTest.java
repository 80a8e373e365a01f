package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.pkg.TestBundles.assertRefused;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * INT-1, issue 17: the streaming manifest decoder ({@link ManifestCodec#decode}) against the
 * data-binding decoder of main it replaced ({@link DatabindManifestOracle}): the same bytes
 * written for random manifests, the same manifest read back, and on thousands of mutated
 * documents the same decision (accepted to an equal manifest, or refused with the same reason
 * code). The one difference allowed there: a null element in a list, on which the old decoder
 * threw a NullPointerException and the new one refuses MALFORMED. Bytes that are not strict
 * UTF-8, which the old decoder read (overlong forms, UTF-16), are refused now: a test of their own.
 * A number or boolean where a string goes, which the old decoder read as its text, is refused by
 * both: the oracle's mapper refuses those coercions too ({@link DatabindManifestOracle}).
 *
 * <p>Then one test per strictness rule, each run through both decoders.
 */
class ManifestDecoderDifferentialTest {
  private static final String HEX = "0123456789abcdef";

  /** What a decoder did with one document. */
  record Outcome(String kind, Object detail) {
    static Outcome of(Callable<Manifest> decode) {
      try {
        return new Outcome("accept", decode.call());
      } catch (RefusalException e) {
        return new Outcome("refuse", e.code());
      } catch (Exception | Error e) {
        return new Outcome("crash", e.getClass().getSimpleName());
      }
    }
  }

  static Outcome now(byte[] json) {
    return Outcome.of(() -> ManifestCodec.decode(json));
  }

  static Outcome before(byte[] json) {
    return Outcome.of(() -> DatabindManifestOracle.decode(json));
  }

  static String hex(Random r, int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(HEX.charAt(r.nextInt(16)));
    }
    return s.toString();
  }

  /** Text that needs every kind of escape: quotes, backslashes, controls, non-BMP, non-ASCII. */
  static String vendor(Random r) {
    String[] parts = {"V", "\"", "\\", "\u0001", "\n", "\u00e9", "\ud83d\ude00", "/", " ", "\u2028",
        "<", "\u007f"};
    StringBuilder s = new StringBuilder("V");
    for (int i = r.nextInt(12); i > 0; i--) {
      s.append(parts[r.nextInt(parts.length)]);
    }
    return s.toString();
  }

  static String name(Random r) {
    String alphabet = "abcXYZ019._+-";
    StringBuilder s = new StringBuilder();
    for (int i = 1 + r.nextInt(20); i > 0; i--) {
      s.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  static long size(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> 0;
      case 1 -> Long.MAX_VALUE;
      case 2 -> r.nextInt(1 << 20);
      default -> r.nextLong() & Long.MAX_VALUE;
    };
  }

  /** A random manifest that passes every check: paths unique, files never directories. */
  static Manifest randomManifest(Random r) {
    List<Manifest.FileEntry> files = new ArrayList<>();
    for (int i = r.nextInt(40); i > 0; i--) {
      String path = (r.nextBoolean() ? "d" + r.nextInt(4) + "/" : "") + "f" + files.size()
          + (r.nextInt(5) == 0 ? "-\u00e9t\u00e9" : "");
      files.add(new Manifest.FileEntry(path, size(r), "0" + r.nextInt(8) + r.nextInt(8)
          + r.nextInt(8), hex(r, 64)));
    }
    List<Manifest.ScanReportRef> reports = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      reports.add(new Manifest.ScanReportRef(BundleLayout.SCAN_PREFIX + i + "-clamd.json",
          size(r), hex(r, 64)));
    }
    Optional<Manifest.SbomRef> sbom = r.nextBoolean()
        ? Optional.of(new Manifest.SbomRef(BundleLayout.SBOM, size(r), hex(r, 64)))
        : Optional.empty();
    return new Manifest(sbom.isPresent() ? BundleLayout.FORMAT_SBOM : BundleLayout.FORMAT,
        name(r), name(r), size(r), name(r), vendor(r),
        Instant.ofEpochSecond(r.nextInt(2_000_000_000), r.nextInt(3) == 0 ? r.nextInt(1_000_000_000) : 0)
            .toString(),
        new Manifest.Rim(TreeDigest.ALGORITHM, ManifestCodec.rimOf(files)), files, reports, sbom);
  }

  @Test
  @DisplayName("INT-1: random manifests are written byte for byte as before and read back equal by both decoders")
  void randomManifests_roundTripAndMatchTheOldCodec() throws Exception {
    Random r = new Random(17);
    for (int i = 0; i < 500; i++) {
      Manifest m = randomManifest(r);
      byte[] bytes = ManifestCodec.encode(m);
      assertThat(bytes).as("encoding of %s", m).isEqualTo(DatabindManifestOracle.encode(m));
      assertThat(ManifestCodec.decode(bytes)).isEqualTo(m);
      assertThat(DatabindManifestOracle.decode(bytes)).isEqualTo(m);
    }
  }

  /** Edits that make a document wrong in the ways a reader can disagree about. */
  private static final String[] TOKENS = {"\"", ",", "{", "}", "[", "]", ":", "null", "0", "-0",
      "01", "1.5", "1e3", "-1", "true", "\"x\"", "{}", "[]", "[null]", "\\u0000", "\\ud800",
      "\\\"", "99999999999999999999", "\"sbom\" : null,", "\"sbom\" : {},", "\"extra\" : 1,",
      "\"sbom\" : { \"path\" : \"neguard/sbom.cdx.json\", \"size\" : 1, \"sha256\" : \""
          + "ab".repeat(32) + "\" },", "\"format\" : \"neguard-package/2\",", " ", "\u0000",
      "\u00e9", "\ufeff", "/**/", "'", "NaN", "\"size\" : 1,", "\"mode\" : \"0644\","};

  static String mutate(String doc, Random r) {
    int at = r.nextInt(doc.length() + 1);
    return switch (r.nextInt(6)) {
      case 0 -> at < doc.length() ? doc.substring(0, at) + doc.substring(at + 1) : doc + "x";
      case 1 -> doc.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + doc.substring(at);
      case 2 -> JsonMutations.replaceValue(doc, r, TOKENS[r.nextInt(TOKENS.length)]);
      case 3 -> {
        String[] lines = doc.split("\n", -1);
        int l = r.nextInt(lines.length);
        List<String> out = new ArrayList<>(List.of(lines));
        if (r.nextBoolean()) {
          out.add(l, lines[l]);
        } else {
          out.remove(l);
        }
        yield String.join("\n", out);
      }
      case 4 -> doc + TOKENS[r.nextInt(TOKENS.length)];
      default -> "\ufeff" + doc;
    };
  }

  @Test
  @DisplayName("INT-1: on mutated manifests both decoders take the same decision, with the same reason code and value")
  void mutatedManifests_sameDecisionAsTheOldDecoder() {
    Random r = new Random(1717);
    int accepted = 0;
    int refused = 0;
    for (int i = 0; i < 4000; i++) {
      String doc = new String(ManifestCodec.encode(randomManifest(r)), StandardCharsets.UTF_8);
      for (int k = 1 + r.nextInt(2); k > 0; k--) {
        doc = mutate(doc, r);
      }
      byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
      Outcome before = before(bytes);
      Outcome now = now(bytes);
      if (before.kind().equals("crash")) {
        // The old decoder let a null list element through to List.copyOf.
        assertThat(before.detail()).as(doc).isEqualTo("NullPointerException");
        assertThat(now).as(doc).isEqualTo(new Outcome("refuse", ReasonCode.MALFORMED));
        continue;
      }
      assertThat(now).as("decision on %s", doc).isEqualTo(before);
      if (now.kind().equals("accept")) {
        accepted++;
      } else {
        refused++;
      }
    }
    // Both kinds of decision are exercised, not just refusals of broken JSON.
    assertThat(accepted).isGreaterThan(200);
    assertThat(refused).isGreaterThan(2000);
  }

  // One test per strictness rule: the new decoder refuses (or accepts) as the old one did.

  private static String doc() {
    Manifest m = new Manifest(BundleLayout.FORMAT, "pkg", "1.0", 1, "mme", "Vendor",
        "2026-01-15T10:00:00Z", new Manifest.Rim(TreeDigest.ALGORITHM,
            ManifestCodec.rimOf(List.of(new Manifest.FileEntry("bin/tool", 3, "0755",
                "ab".repeat(32))))),
        List.of(new Manifest.FileEntry("bin/tool", 3, "0755", "ab".repeat(32))), List.of());
    return new String(ManifestCodec.encode(m), StandardCharsets.UTF_8);
  }

  private static String edit(String from, String to) {
    String d = doc();
    assertThat(d).contains(from);
    return d.replace(from, to);
  }

  /** Refused by the new decoder with {@code code} and a message naming {@code mention}, and by the old with the same code. */
  private static void refusedAsBefore(String json, ReasonCode code, String mention) {
    refusedAsBefore(json.getBytes(StandardCharsets.UTF_8), code, mention);
  }

  private static void refusedAsBefore(byte[] json, ReasonCode code, String mention) {
    RefusalException e = assertRefused(() -> ManifestCodec.decode(json), code);
    assertThat(e.getMessage()).contains(mention);
    assertThat(before(json)).isEqualTo(new Outcome("refuse", code));
  }

  private static Manifest acceptedAsBefore(byte[] json) throws Exception {
    Manifest m = ManifestCodec.decode(json);
    assertThat(before(json)).isEqualTo(new Outcome("accept", m));
    return m;
  }

  @Test
  @DisplayName("INT-1: a duplicate key is refused, at the top and inside a file entry")
  void decode_duplicateKey_malformed() {
    refusedAsBefore(edit("\"name\" : \"pkg\",", "\"name\" : \"pkg\", \"name\" : \"pkg\","),
        ReasonCode.MALFORMED, "Duplicate field 'name'");
    refusedAsBefore(edit("\"mode\" : \"0755\",", "\"mode\" : \"0755\", \"mode\" : \"0755\","),
        ReasonCode.MALFORMED, "Duplicate field 'mode'");
  }

  @Test
  @DisplayName("INT-1: data after the object is refused: another value, or a stray character")
  void decode_trailingData_malformed() {
    refusedAsBefore(doc() + "{}", ReasonCode.MALFORMED, "data follows the JSON object");
    refusedAsBefore(doc() + "1", ReasonCode.MALFORMED, "data follows the JSON object");
    refusedAsBefore(doc() + "\u0000", ReasonCode.MALFORMED, "not valid JSON");
  }

  @Test
  @DisplayName("INT-1: objects and arrays never stand in for a string, nor a string for an object")
  void decode_wrongType_malformedNamesTheField() {
    refusedAsBefore(edit("\"Vendor\"", "{}"), ReasonCode.MALFORMED,
        "field 'vendor' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"Vendor\"", "[\"Vendor\"]"), ReasonCode.MALFORMED,
        "field 'vendor' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"0755\"", "[]"), ReasonCode.MALFORMED,
        "field 'files[0].mode' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"scanReports\" : [ ]", "\"scanReports\" : \"\""), ReasonCode.MALFORMED,
        "field 'scanReports' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"files\" : [ {", "\"files\" : [ 1, {"), ReasonCode.MALFORMED,
        "field 'files[0]' is missing, null or of the wrong type");
  }

  @Test
  @DisplayName("INT-1: a number or boolean where a string goes is refused naming the field, not read as its text")
  void decode_scalarForString_malformed() {
    // The string "from" of "field" replaced by the token "to".
    record Scalar(String field, String from, String to) {}
    List<Scalar> scalars = new ArrayList<>();
    for (String v : List.of("1", "1.5", "-0", "1e3", "true", "false")) {
      scalars.add(new Scalar("version", "\"1.0\"", v));
    }
    scalars.add(new Scalar("vendor", "\"Vendor\"", "7"));
    scalars.add(new Scalar("files[0].mode", "\"0755\"", "755"));
    scalars.add(new Scalar("rim.algorithm", "\"sha256-tree-v1\"", "true"));
    for (Scalar x : scalars) {
      refusedAsBefore(edit(x.from(), x.to()), ReasonCode.MALFORMED,
          "field '" + x.field() + "' is missing, null or of the wrong type");
    }
  }

  @Test
  @DisplayName("INT-1: a null is refused wherever it stands, a null list element too")
  void decode_null_malformed() {
    refusedAsBefore(edit("\"pkg\"", "null"), ReasonCode.MALFORMED,
        "field 'name' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"name\" : \"pkg\",", "\"sbom\" : null, \"name\" : \"pkg\","),
        ReasonCode.MALFORMED, "field 'sbom' is missing, null or of the wrong type");
    // The old decoder threw a NullPointerException here: refused now, the same decision.
    byte[] nullFile = edit("\"files\" : [ {", "\"files\" : [ null, {")
        .getBytes(StandardCharsets.UTF_8);
    RefusalException e = assertRefused(() -> ManifestCodec.decode(nullFile), ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains("field 'files[0]' is missing, null or of the wrong type");
    assertThat(before(nullFile).kind()).isNotEqualTo("accept");
  }

  @Test
  @DisplayName("INT-1: a missing field is refused, an integer one too (it has no null to fall back on)")
  void decode_missingField_malformed() {
    refusedAsBefore(edit("\"securityVersion\" : 1,", ""), ReasonCode.MALFORMED,
        "missing field: securityVersion");
    refusedAsBefore(edit("\"size\" : 3,", ""), ReasonCode.MALFORMED,
        "missing field: files[0].size");
    refusedAsBefore("{}", ReasonCode.MALFORMED, "missing field: format");
  }

  @Test
  @DisplayName("INT-1: an unknown field is refused before its value is read, at every level")
  void decode_unknownField_malformed() {
    refusedAsBefore(edit("\"name\"", "\"extra\" : [[[[]]]], \"name\""), ReasonCode.MALFORMED,
        "unknown field 'extra'");
    refusedAsBefore(edit("\"mode\"", "\"owner\" : \"root\", \"mode\""), ReasonCode.MALFORMED,
        "unknown field 'owner'");
    refusedAsBefore(edit("\"algorithm\"", "\"mode\" : \"0644\", \"algorithm\""),
        ReasonCode.MALFORMED, "unknown field 'mode'");
  }

  @Test
  @DisplayName("INT-1: integers: only an integer token in the range of a long; no fraction, exponent, string, leading zero")
  void decode_nonCanonicalNumbers_malformed() throws Exception {
    for (String n : List.of("1.0", "1e0", "1.5", "\"1\"", "true", "[1]")) {
      refusedAsBefore(edit("\"securityVersion\" : 1", "\"securityVersion\" : " + n),
          ReasonCode.MALFORMED, "field 'securityVersion' is missing, null or of the wrong type");
    }
    refusedAsBefore(edit("\"securityVersion\" : 1", "\"securityVersion\" : 01"),
        ReasonCode.MALFORMED, "Leading zeroes not allowed");
    refusedAsBefore(edit("\"size\" : 3", "\"size\" : 9223372036854775808"),
        ReasonCode.MALFORMED, "out of range of long");
    // -0 is an integer token: 0, as before.
    assertThat(acceptedAsBefore(edit("\"securityVersion\" : 1", "\"securityVersion\" : -0")
        .getBytes(StandardCharsets.UTF_8)).securityVersion()).isZero();
  }

  @Test
  @DisplayName("INT-1: a string longer than the parser's limit (20 M characters) is refused while it is read")
  void decode_oversizeString_malformed() {
    String huge = "x".repeat(20_000_001);
    refusedAsBefore(edit("\"Vendor\"", "\"" + huge + "\""), ReasonCode.MALFORMED,
        "exceeds the maximum allowed (20000000");
  }

  @Test
  @DisplayName("INT-1: deep nesting is refused at its first level, where no field takes an array or object of that shape")
  void decode_deepNesting_malformed() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    refusedAsBefore(edit("\"Vendor\"", deep), ReasonCode.MALFORMED,
        "field 'vendor' is missing, null or of the wrong type");
    refusedAsBefore(edit("\"scanReports\" : [ ]", "\"scanReports\" : " + deep),
        ReasonCode.MALFORMED, "field 'scanReports[0]' is missing, null or of the wrong type");
    refusedAsBefore(deep, ReasonCode.MALFORMED, "not a JSON object of the manifest's shape");
  }

  @Test
  @DisplayName("INT-1: a UTF-8 byte order mark at the start is skipped, as by the old decoder; anywhere else it is refused")
  void decode_bom_acceptedAtTheStartOnly() throws Exception {
    Manifest plain = ManifestCodec.decode(doc().getBytes(StandardCharsets.UTF_8));
    assertThat(acceptedAsBefore(("\ufeff" + doc()).getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(plain);
    refusedAsBefore(doc() + "\ufeff", ReasonCode.MALFORMED, "not valid JSON");
    refusedAsBefore("\ufeff\ufeff" + doc(), ReasonCode.MALFORMED, "not valid JSON");
  }

  /** Refused now, where the old decoder accepted (Jackson's byte parser). */
  private static void refusedNowAcceptedBefore(byte[] json, String mention) {
    RefusalException e = assertRefused(() -> ManifestCodec.decode(json), ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains(mention);
    assertThat(before(json).kind()).isEqualTo("accept");
  }

  @Test
  @DisplayName("INT-1: bytes that are not strict UTF-8 are refused: Latin-1 as before; now also overlong forms, encoded surrogates and UTF-16")
  void decode_invalidUtf8_malformed() {
    byte[] latin1 = edit("Vendor", "V\u00e9ndor").getBytes(StandardCharsets.ISO_8859_1);
    refusedAsBefore(latin1, ReasonCode.MALFORMED, "Invalid UTF-8");
    // "bin" C0 AF "tool": Jackson read the overlong C0 AF as '/', the path bin/tool; a strict
    // reader of the same signed bytes sees no such path.
    byte[] overlong = edit("bin/tool", "bin__tool").getBytes(StandardCharsets.UTF_8);
    int at = new String(overlong, StandardCharsets.UTF_8).indexOf("bin__") + 3;
    overlong[at] = (byte) 0xc0;
    overlong[at + 1] = (byte) 0xaf;
    refusedNowAcceptedBefore(overlong, "Invalid UTF-8");
    // U+D800 encoded as if it were a character: ED A0 80.
    byte[] surrogate = edit("Vendor", "V___").getBytes(StandardCharsets.UTF_8);
    at = new String(surrogate, StandardCharsets.UTF_8).indexOf("V___") + 1;
    surrogate[at] = (byte) 0xed;
    surrogate[at + 1] = (byte) 0xa0;
    surrogate[at + 2] = (byte) 0x80;
    refusedNowAcceptedBefore(surrogate, "Invalid UTF-8");
    refusedNowAcceptedBefore(doc().getBytes(StandardCharsets.UTF_16), "Invalid UTF-8");
    refusedNowAcceptedBefore(doc().getBytes(StandardCharsets.UTF_16LE), "not valid JSON");
  }

  @Test
  @DisplayName("INT-1: a lone surrogate from a \\u escape is refused in a path (UNSAFE_PATH) and kept in free text, as before")
  void decode_loneSurrogate_asBefore() throws Exception {
    refusedAsBefore(edit("\"bin/tool\"", "\"bin/t\\ud800ol\""), ReasonCode.UNSAFE_PATH,
        "unpaired UTF-16 surrogate");
    assertThat(acceptedAsBefore(edit("\"Vendor\"", "\"V\\udc00\"")
        .getBytes(StandardCharsets.UTF_8)).vendor()).isEqualTo("V\udc00");
  }

  @Test
  @DisplayName("INT-1: control characters must be escaped; comments, single quotes and NaN are not JSON")
  void decode_nonStandardJson_malformed() {
    refusedAsBefore(edit("\"Vendor\"", "\"V\u0001\""), ReasonCode.MALFORMED, "CTRL-CHAR");
    refusedAsBefore("/**/" + doc(), ReasonCode.MALFORMED, "comment");
    refusedAsBefore(edit("\"vendor\"", "'vendor'"), ReasonCode.MALFORMED, "not valid JSON");
    refusedAsBefore(edit("\"securityVersion\" : 1", "\"securityVersion\" : NaN"),
        ReasonCode.MALFORMED, "NaN");
  }

  @Test
  @DisplayName("INT-1: an empty document, white space, a null or a non-object is refused")
  void decode_notAnObject_malformed() {
    refusedAsBefore("", ReasonCode.MALFORMED, "not a JSON object of the manifest's shape");
    refusedAsBefore(" \n", ReasonCode.MALFORMED, "not a JSON object of the manifest's shape");
    refusedAsBefore("null", ReasonCode.MALFORMED, "empty document");
    refusedAsBefore("\"x\"", ReasonCode.MALFORMED, "not a JSON object of the manifest's shape");
  }

  @Test
  @DisplayName("INT-1: an sbom field makes the format /2; its object is checked like the others")
  void decode_sbom_formatMustMatch() {
    String sbom = "\"sbom\" : { \"path\" : \"neguard/sbom.cdx.json\", \"size\" : 1, \"sha256\" : \""
        + "ab".repeat(32) + "\" }, \"name\"";
    refusedAsBefore(edit("\"name\"", sbom), ReasonCode.MALFORMED, "format is neguard-package/1");
    refusedAsBefore(edit("\"name\"", "\"sbom\" : {}, \"name\""), ReasonCode.MALFORMED,
        "missing field: sbom.path");
  }
}
