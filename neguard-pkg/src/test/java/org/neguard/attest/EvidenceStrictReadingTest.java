package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;

/**
 * Each rule of the evidence's one strict reading (EvidenceCodec, EvidenceVerifier's JWS parts),
 * one test each: the payload and header are signed as given (RS256), so every refusal here is
 * the reading's, not the signature's. Where a rule is about <em>when</em> a fault is found, the
 * payload also names another format: a fault found while reading is MALFORMED, before the
 * format's FORMAT_VERSION; one the checks find later leaves FORMAT_VERSION first (the control).
 */
class EvidenceStrictReadingTest {
  static final byte[] NONCE = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");
  static final String HEADER = "{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\"}";
  static final String V1 = "\"format\":\"neguard-evidence-v1\"";
  static KeyPair device;
  static Evidence evidence;
  static String body;

  @BeforeAll
  static void evidence() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    device = g.generateKeyPair();
    List<TreeDigest.Leaf> files = List.of(new TreeDigest.Leaf("bin/mme", "ab".repeat(32), 0755),
        new TreeDigest.Leaf("README", "0c".repeat(32), 0644));
    evidence = Evidence.of("ne-1", NONCE, Instant.parse("2026-12-05T12:00:00Z"), List.of(
        new Evidence.Component("core", PlatformTim.Reference.VENDOR_SIGNED, TreeDigest.of(files),
            files)), Optional.empty());
    body = new String(EvidenceEncoder.encode(evidence), StandardCharsets.UTF_8);
  }

  static String jws(String header, String payload) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    return signingInput + "." + b64.encodeToString(sign(signingInput));
  }

  static byte[] sign(String signingInput) throws Exception {
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(device.getPrivate());
    s.update(signingInput.getBytes(StandardCharsets.ISO_8859_1));
    return s.sign();
  }

  static ReasonCode refused(String jws) {
    return TpmQuoteTest.refusal(() -> EvidenceVerifier.verify(jws, device.getPublic(), "ne-1",
        NONCE, Optional.empty()));
  }

  static ReasonCode payload(String payload) throws Exception {
    return refused(jws(HEADER, payload));
  }

  static ReasonCode header(String header) throws Exception {
    return refused(jws(header, body));
  }

  /** {@code body} naming format v2, with {@code from} replaced by {@code to} (once). */
  static String v2(String from, String to) {
    assertThat(body).contains(from);
    return body.replace(V1, "\"format\":\"neguard-evidence-v2\"").replaceFirst(
        java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
  }

  /** {@code body} with {@code from} replaced by {@code to} (once). */
  static String edit(String from, String to) {
    assertThat(body).contains(from);
    return body.replaceFirst(java.util.regex.Pattern.quote(from),
        java.util.regex.Matcher.quoteReplacement(to));
  }

  static final String FILE = "{\"path\":\"bin/mme\"";
  static final String COMPONENT = "{\"name\":\"core\"";

  @Test
  @DisplayName("ATT-4 the control: the evidence as encoded, and with whitespace around and"
      + " inside it, verifies to itself")
  void read_encodedEvidence_accepted() throws Exception {
    String spaced = " \n" + body.replace(",", " ,\t").replace("\":", "\"\r\n: ") + "\n ";
    for (String p : List.of(body, spaced)) {
      assertThat(EvidenceVerifier.verify(jws(HEADER, p), device.getPublic(), "ne-1", NONCE,
          Optional.empty())).isEqualTo(evidence);
    }
  }

  @Test
  @DisplayName("ATT-4 a duplicate key is MALFORMED at every level: the payload, a component, a"
      + " file, the quote, the header; also spelt with an escape")
  void read_duplicateKeyAtEachLevel_refused() throws Exception {
    assertThat(payload(edit(V1, V1 + "," + V1))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit(COMPONENT, COMPONENT + ",\"name\":\"core\"")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit(FILE, FILE + ",\"path\":\"bin/mme\"")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit(FILE, FILE + ",\"p\\u0061th\":\"bin/mme\"")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("{", "{\"quote\":{\"pcr\":1,\"pcr\":1},")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(header("{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\",\"alg\":\"RS256\"}"))
        .isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 a duplicate key is found while reading, before any other check, wherever"
      + " it is: an unknown field given twice, a duplicate inside an unknown field's value or"
      + " inside a value of the wrong type, deep in arrays")
  void read_duplicateKeyInsideRefusedValues_foundWhileReading() throws Exception {
    // The control: an unknown field of a component is found after the format.
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":1,\"y\":1")))
        .isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":1,\"x\":1")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":[1,{\"a\":{\"b\":1,\"b\":2}}]")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":[1,{\"a\":{\"b\":1,\"c\":2}}]")))
        .isEqualTo(ReasonCode.FORMAT_VERSION);
    // A value of the wrong type is found after the format too, a duplicate in it before.
    assertThat(payload(v2("\"deviceId\":\"ne-1\"", "\"deviceId\":{\"a\":1}")))
        .isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2("\"deviceId\":\"ne-1\"", "\"deviceId\":{\"a\":1,\"a\":1}")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(v2(FILE, "[{\"a\":1,\"a\":1}]," + FILE)))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload("[{\"a\":1,\"a\":1}]")).isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 an unknown field is MALFORMED at every level: the payload, a component, a"
      + " file, the quote, the header")
  void read_unknownFieldAtEachLevel_refused() throws Exception {
    assertThat(payload(edit(V1, V1 + ",\"extra\":null"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit(COMPONENT, COMPONENT + ",\"version\":\"1.0\"")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit(FILE, FILE + ",\"owner\":\"root\"")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("{", "{\"quote\":{\"pcr\":14,\"attest\":\"\",\"signature\":\"\","
        + "\"eventLog\":\"\",\"extra\":\"\"},"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(header("{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\",\"kid\":\"k\"}"))
        .isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 a value of the wrong type is MALFORMED: a number, boolean, null, object"
      + " or array for a string; components, files not arrays; a component or file not an"
      + " object; the quote not an object; its PCR not an int (a string, a fraction, past int)")
  void read_wrongTypes_refused() throws Exception {
    for (String v : List.of("1", "true", "null", "{}", "[]", "1.5")) {
      assertThat(payload(edit("\"deviceId\":\"ne-1\"", "\"deviceId\":" + v)))
          .as("deviceId %s", v).isEqualTo(ReasonCode.MALFORMED);
    }
    assertThat(payload(edit(V1, "\"format\":1"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"mode\":\"0755\"", "\"mode\":755")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"path\":\"bin/mme\"", "\"path\":[\"bin/mme\"]")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"components\":[", "\"components\":{\"c\":[")
        .replaceFirst("]}]}$", "]}]}}"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"components\":[", "\"components\":[1,")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"files\":[", "\"files\":[\"bin/sh\",")))
        .isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("\"files\":[", "\"files\":{\"f\":[").replaceFirst("]}]}$",
        "]}}]}"))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(edit("{", "{\"quote\":[],"))).isEqualTo(ReasonCode.MALFORMED);
    for (String pcr : List.of("\"14\"", "14.0", "1.4e1", "2147483648", "null")) {
      assertThat(payload(edit("{", "{\"quote\":{\"pcr\":" + pcr + ",\"attest\":\"\","
          + "\"signature\":\"\",\"eventLog\":\"\"},"))).as("pcr %s", pcr)
          .isEqualTo(ReasonCode.MALFORMED);
    }
  }

  @Test
  @DisplayName("OBJ-2 a component without files (reported by its digest alone) reads as such;"
      + " files null is MALFORMED, not \"without files\": one form for each meaning")
  void read_componentWithoutFiles_absentReadsNullRefused() throws Exception {
    Evidence.Component core = evidence.components().get(0);
    Evidence digestOnly = Evidence.of("ne-1", NONCE, evidence.measuredAt(),
        List.of(core.withoutFiles()), Optional.empty());
    String without = new String(EvidenceEncoder.encode(digestOnly), StandardCharsets.UTF_8);
    assertThat(without).doesNotContain("\"files\"");
    Evidence back = EvidenceVerifier.verify(jws(HEADER, without), device.getPublic(), "ne-1",
        NONCE, Optional.empty());
    assertThat(back).isEqualTo(digestOnly);
    assertThat(back.components().get(0).filesReported()).isFalse();
    assertThat(back.tim()).isEqualTo(evidence.tim());
    String digest = "\"digest\":\"" + core.digest() + "\"";
    assertThat(without).contains(digest + "}");
    assertThat(payload(without.replace(digest + "}", digest + ",\"files\":null}")))
        .isEqualTo(ReasonCode.MALFORMED);
    // The control: an empty list is a component with no files, its digest checked against it.
    assertThat(payload(without.replace(digest + "}", digest + ",\"files\":[]}")))
        .isEqualTo(ReasonCode.MEASUREMENT_MISMATCH);
  }

  @Test
  @DisplayName("ATT-4 trailing data after the payload or the header is MALFORMED (a second"
      + " value, garbage, a comma); not JSON objects (an array, null, a string, nothing) too")
  void read_trailingDataOrNoObject_refused() throws Exception {
    for (String t : List.of(" {}", "x", ",", "]", "{", "\"\"", " 1")) {
      assertThat(payload(body + t)).as("payload + %s", t).isEqualTo(ReasonCode.MALFORMED);
      assertThat(header(HEADER + t)).as("header + %s", t).isEqualTo(ReasonCode.MALFORMED);
    }
    for (String p : List.of("[" + body + "]", "null", "\"x\"", "", " ", "1")) {
      assertThat(payload(p)).as("payload %s", p).isEqualTo(ReasonCode.MALFORMED);
    }
  }

  @Test
  @DisplayName("ATT-4 numbers: NaN, Infinity, leading zeros, a plus sign and a number of more"
      + " than 1,000 digits are MALFORMED wherever they are; 1e999 and a long fraction are JSON")
  void read_numberForms_refusedWhileReading() throws Exception {
    for (String n : List.of("NaN", "Infinity", "-Infinity", "01", "+1", ".5", "1.", "0x10",
        "1".repeat(1001))) {
      assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":" + n))).as("number %s", n)
          .isEqualTo(ReasonCode.MALFORMED);
    }
    for (String n : List.of("1e999", "-0", "0." + "1".repeat(900), "1".repeat(999))) {
      assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":" + n))).as("number %s", n)
          .isEqualTo(ReasonCode.FORMAT_VERSION);
    }
  }

  @Test
  @DisplayName("ATT-4 nesting deeper than the parser's 1,000 levels is MALFORMED, in an unknown"
      + " field of a component and in a whole payload of arrays; 990 levels read (the control)")
  void read_deepNesting_refused() throws Exception {
    // The component is at depth 3 (payload, components, component).
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":" + "[".repeat(990)
        + "]".repeat(990)))).isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":" + "[".repeat(1000)
        + "]".repeat(1000)))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload(v2(COMPONENT, COMPONENT + ",\"x\":" + "{\"a\":".repeat(1000) + "1"
        + "}".repeat(1000)))).isEqualTo(ReasonCode.MALFORMED);
    assertThat(payload("[".repeat(1001) + "]".repeat(1001))).isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 the JWS's parts are unpadded base64url only: padding, '+' or '/', a space,"
      + " a line break, a character outside Latin-1, a part of 4k+1 characters are MALFORMED;"
      + " a fourth part or a missing one too")
  void read_jwsPartsNotBase64Url_refused() throws Exception {
    String good = jws(HEADER, body);
    assertThat(EvidenceVerifier.verify(good, device.getPublic(), "ne-1", NONCE,
        Optional.empty())).isEqualTo(evidence);
    int dot1 = good.indexOf('.');
    int dot2 = good.lastIndexOf('.');
    for (int at : List.of(5, dot1 + 100, dot2 + 5)) {
      for (String c : List.of("=", "+", "/", " ", "\n", "\u00e9", "\u4e00")) {
        String bad = good.substring(0, at) + c + good.substring(at + 1);
        assertThat(refused(bad)).as("%s at %d", c, at).isEqualTo(ReasonCode.MALFORMED);
      }
    }
    // The same characters signed as given: the reading refuses them, not the signature.
    String unpadded = good.substring(0, dot2);
    for (String signingInput : List.of(unpadded + "=", unpadded.replace(".", "=."),
        unpadded + "AAAAA", "AAAAA" + unpadded.substring(dot1))) {
      String bad = signingInput + "." + Base64.getUrlEncoder().withoutPadding()
          .encodeToString(sign(signingInput));
      assertThat(refused(bad)).as(signingInput.length() > 40 ? signingInput.substring(0, 40)
          : signingInput).isEqualTo(ReasonCode.MALFORMED);
    }
    assertThat(refused(good + "=")).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(good + ".")).isEqualTo(ReasonCode.MALFORMED);
    assertThat(refused(good.substring(0, dot2))).isEqualTo(ReasonCode.MALFORMED);
  }

  @Test
  @DisplayName("ATT-4 a protected header of 1 MiB of unknown keys is SIZE_LIMIT undecoded, before"
      + " the signature, in well under 5 s (review H2); the signer's own header, spaced out to"
      + " the limit, still verifies (the control)")
  void read_headerOfAMebibyteOfUnknownKeys_refusedBeforeReading() throws Exception {
    StringBuilder keys = new StringBuilder("{\"alg\":\"RS256\",\"typ\":\"neguard-evidence+jws\"");
    for (int i = 0; keys.length() < 1 << 20; i++) {
      keys.append(String.format(",\"k%07d\":0", i));
    }
    String bad = jws(keys + "}", body);
    long start = System.nanoTime();
    assertThat(refused(bad)).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    // 768 bytes encode to exactly MAX_HEADER_LENGTH characters.
    String spaced = HEADER.replace(",", " ".repeat(768 - HEADER.length()) + ",");
    assertThat(EvidenceVerifier.verify(jws(spaced, body), device.getPublic(), "ne-1", NONCE,
        Optional.empty())).isEqualTo(evidence);
    assertThat(header(spaced.replace(",", " ,"))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("ATT-4 many unknown fields cost linear time: 300,000 of them in a component are"
      + " read in under 60 s and found after the format (review H2)")
  void read_manyUnknownFields_linearTime() throws Exception {
    StringBuilder keys = new StringBuilder(COMPONENT);
    for (int i = 0; i < 300_000; i++) {
      keys.append(",\"u").append(i).append("\":0");
    }
    String p = v2(COMPONENT, keys.toString());
    // A bound on the algorithm, not a speed target: linear reading takes about 2.5 s on a loaded
    // 2-core machine, the quadratic list it replaced (4.5e10 comparisons and copies) minutes;
    // 60 s leaves a busy CI machine room without letting the quadratic one pass.
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
        () -> assertThat(payload(p)).isEqualTo(ReasonCode.FORMAT_VERSION));
  }

  @Test
  @DisplayName("ATT-4 an array one past its limit is SIZE_LIMIT while reading, before the format:"
      + " 257 components, 200,001 files; at the limit the format is judged (the control)")
  void read_arrayPastItsLimit_refusedWhileReading() throws Exception {
    assertThat(payload(v2("\"components\":[", "\"components\":["
        + "{},".repeat(EvidenceCodec.MAX_COMPONENTS - 1)))).isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2("\"components\":[", "\"components\":["
        + "{},".repeat(EvidenceCodec.MAX_COMPONENTS)))).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(payload(v2("\"files\":[", "\"files\":["
        + "{},".repeat(EvidenceCodec.MAX_LEAVES - 2)))).isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2("\"files\":[", "\"files\":["
        + "{},".repeat(EvidenceCodec.MAX_LEAVES - 1)))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  @Test
  @DisplayName("ATT-4 files are counted across components while reading: 250,001 in three"
      + " components, each within its own limit, is SIZE_LIMIT before the format; 250,000 leaves"
      + " the format judged (the control)")
  void read_filesPastTheTotalAcrossComponents_refusedWhileReading() throws Exception {
    // The body's component has 2 files; two more components of at most 200,000 each.
    int first = EvidenceCodec.MAX_LEAVES;
    int second = EvidenceCodec.MAX_TOTAL_LEAVES - first - 2;
    assertThat(payload(v2("\"components\":[", "\"components\":[" + emptyFiles(first) + ","
        + emptyFiles(second) + ","))).isEqualTo(ReasonCode.FORMAT_VERSION);
    assertThat(payload(v2("\"components\":[", "\"components\":[" + emptyFiles(first) + ","
        + emptyFiles(second + 1) + ","))).isEqualTo(ReasonCode.SIZE_LIMIT);
  }

  /** A component of {@code n} empty file objects and nothing else. */
  private static String emptyFiles(int n) {
    return "{\"files\":[" + "{},".repeat(n - 1) + "{}]}";
  }

  @Test
  @DisplayName("ATT-4 a huge unknown value (2 million empty arrays), as an unknown field or a"
      + " value of the wrong type, is MALFORMED without being built: under 64 MB allocated for"
      + " 8 MB of JWS (review L1)")
  void read_hugeUnknownValue_refusedUnbuilt() throws Exception {
    String huge = "[" + "[],".repeat(2_000_000) + "[]]";
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (String p : List.of(edit(V1, V1 + ",\"x\":" + huge),
        edit("\"deviceId\":\"ne-1\"", "\"deviceId\":" + huge))) {
      String bad = jws(HEADER, p);
      long before = threads.getCurrentThreadAllocatedBytes();
      assertThat(refused(bad)).isEqualTo(ReasonCode.MALFORMED);
      assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated")
          .isLessThan(64L << 20);
    }
  }
}
