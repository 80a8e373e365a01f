package org.neguard.scanreport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.pkg.JsonMutations;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * AV-3, issue 17: the streaming scan report decoder ({@link ScanReportCodec#decode}) against the
 * data-binding decoder of main it replaced ({@link DatabindScanReportOracle}). On random reports
 * and mutations of them: what the new decoder accepts, the old accepted to an equal report; what
 * the old refused, the new refuses with the same code. The new one refuses more only where it
 * says so: a time that is not an ISO-8601 string, an enum given by index, a null list element.
 */
class ScanReportDecoderTest {
  record Outcome(String kind, Object detail) {
    static Outcome of(Callable<ScanReport> decode) {
      try {
        return new Outcome("accept", decode.call());
      } catch (RefusalException e) {
        return new Outcome("refuse", e.code());
      } catch (Exception | Error e) {
        return new Outcome("crash", e.getClass().getSimpleName());
      }
    }
  }

  private static final String SHA = "ab".repeat(32);

  static String text(Random r) {
    String[] parts = {"a", "\"", "\\", "\u0001", "\n", "\u00e9", "\ud83d\ude00", " ", "1"};
    StringBuilder s = new StringBuilder("t");
    for (int i = r.nextInt(8); i > 0; i--) {
      s.append(parts[r.nextInt(parts.length)]);
    }
    return s.toString();
  }

  static Instant instant(Random r) {
    return Instant.ofEpochSecond(r.nextInt(2_000_000_000),
        r.nextBoolean() ? 0 : r.nextInt(1_000_000_000));
  }

  static ScanReport randomReport(Random r) {
    List<FileResult> files = new ArrayList<>();
    for (int i = r.nextInt(20); i > 0; i--) {
      String path = "f" + files.size();
      files.add(switch (r.nextInt(4)) {
        case 0 -> FileResult.infected(path, text(r), r.nextBoolean() ? null : text(r));
        case 1 -> FileResult.notScanned(path, text(r));
        default -> FileResult.clean(path);
      });
    }
    Instant started = instant(r);
    List<String> notes = new ArrayList<>();
    for (int i = r.nextInt(3); i > 0; i--) {
      notes.add(text(r));
    }
    return new ScanReport(ScanReport.FORMAT,
        new EngineInfo("clamd", text(r), "1.4.6", r.nextBoolean() ? null : text(r),
            r.nextBoolean() ? null : instant(r), "tcp://127.0.0.1:3310"),
        text(r), text(r), started, started.plusMillis(r.nextInt(100_000)), text(r), text(r), SHA,
        files, ScanReport.verdictOf(files), notes);
  }

  @Test
  @DisplayName("AV-3: random reports read back equal, by both decoders")
  void randomReports_roundTrip() throws Exception {
    Random r = new Random(3);
    for (int i = 0; i < 500; i++) {
      ScanReport report = randomReport(r);
      byte[] bytes = ScanReportCodec.encode(report);
      assertThat(ScanReportCodec.decode("r", bytes)).isEqualTo(report);
      assertThat(DatabindScanReportOracle.decode("r", bytes)).isEqualTo(report);
    }
  }

  private static final String[] TOKENS = {"\"", ",", "{", "}", "[", "]", ":", "null", "0", "1",
      "-0", "1.5", "true", "\"x\"", "{}", "[]", "[null]", "\\u0000", "\\ud800", "\"CLEAN\"",
      "\"INFECTED\"", "\"NOT_SCANNED\"", "\"INCOMPLETE\"", "\"clean\"", "\"2026-01-01T00:00:00Z\"",
      "\"2026-01-01T01:00:00+01:00\"", "\"1767312000\"", "1767312000", "\"extra\" : 1,", " ",
      "\ufeff", "\"notes\" : [ ],", "\"detail\" : \"d\","};

  /** The message of each refusal the new decoder may add to the old one's. */
  private static final List<String> TIGHTENED = List.of("is not an ISO-8601 instant",
      "is not one of", "is missing, null or of the wrong type");

  @Test
  @DisplayName("AV-3: on mutated reports the new decoder never accepts what the old refused, and refuses more only where documented")
  void mutatedReports_noLaxerThanTheOldDecoder() {
    Random r = new Random(33);
    int accepted = 0;
    int tightened = 0;
    for (int i = 0; i < 4000; i++) {
      String doc = new String(ScanReportCodec.encode(randomReport(r)), StandardCharsets.UTF_8);
      int at = r.nextInt(doc.length());
      String token = TOKENS[r.nextInt(TOKENS.length)];
      doc = switch (r.nextInt(3)) {
        case 0 -> doc.substring(0, at) + doc.substring(at + 1);
        case 1 -> doc.substring(0, at) + token + doc.substring(at);
        default -> JsonMutations.replaceValue(doc, r, token);
      };
      byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
      Outcome before = Outcome.of(() -> DatabindScanReportOracle.decode("r", bytes));
      Outcome now = Outcome.of(() -> ScanReportCodec.decode("r", bytes));
      assertThat(now.kind()).as(doc).isNotEqualTo("crash");
      if (now.equals(before)) {
        accepted += now.kind().equals("accept") ? 1 : 0;
        continue;
      }
      assertThat(before.kind()).as("only the new decoder refuses %s", doc).isEqualTo("accept");
      RefusalException e = catchThrowableOfType(RefusalException.class,
          () -> ScanReportCodec.decode("r", bytes));
      assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED);
      assertThat(TIGHTENED).as(e.getMessage() + " on " + doc)
          .anyMatch(m -> e.getMessage().contains(m));
      tightened++;
    }
    assertThat(accepted).isGreaterThan(300);
    assertThat(tightened).isLessThan(400);
  }

  // One test per rule.

  private static String doc() {
    List<FileResult> files = List.of(FileResult.clean("a"), FileResult.notScanned("b", "big"));
    return new String(ScanReportCodec.encode(new ScanReport(ScanReport.FORMAT,
        new EngineInfo("clamd", "ClamAV", "1.4.6", "27000",
            Instant.parse("2026-01-01T00:00:00Z"), "tcp://127.0.0.1:3310"),
        "host", "NEGuard 0.1.0", Instant.parse("2026-01-02T00:00:00Z"),
        Instant.parse("2026-01-02T00:00:01.500Z"), "pkg", "1.0", SHA, files,
        ScanReport.Verdict.INCOMPLETE, List.of("n1"))), StandardCharsets.UTF_8);
  }

  private static byte[] edit(String from, String to) {
    String d = doc();
    assertThat(d).contains(from);
    return d.replace(from, to).getBytes(StandardCharsets.UTF_8);
  }

  private static void refused(byte[] json, String mention, boolean alsoBefore) {
    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanReportCodec.decode("neguard/scan/r.json", json));
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.MALFORMED);
    assertThat(e.getMessage()).contains("scan report 'neguard/scan/r.json' is not valid: ")
        .contains(mention);
    assertThat(Outcome.of(() -> DatabindScanReportOracle.decode("r", json)).kind())
        .isEqualTo(alsoBefore ? "refuse" : "accept");
  }

  private static ScanReport acceptedAsBefore(byte[] json) throws Exception {
    ScanReport r = ScanReportCodec.decode("r", json);
    assertThat(DatabindScanReportOracle.decode("r", json)).isEqualTo(r);
    return r;
  }

  @Test
  @DisplayName("AV-3: a duplicate key is refused")
  void decode_duplicateKey_malformed() {
    refused(edit("\"scanHost\" : \"host\",", "\"scanHost\" : \"host\", \"scanHost\" : \"h\","),
        "Duplicate field 'scanHost'", true);
    refused(edit("\"status\" : \"CLEAN\",", "\"status\" : \"CLEAN\", \"status\" : \"CLEAN\","),
        "Duplicate field 'status'", true);
  }

  @Test
  @DisplayName("AV-3: data after the object is refused")
  void decode_trailingData_malformed() {
    refused((doc() + "{}").getBytes(StandardCharsets.UTF_8), "data follows the JSON object", true);
  }

  @Test
  @DisplayName("AV-3: an unknown field is refused, at every level")
  void decode_unknownField_malformed() {
    refused(edit("\"scanHost\"", "\"x\" : 1, \"scanHost\""), "unknown field 'x'", true);
    refused(edit("\"kind\"", "\"x\" : 1, \"kind\""), "unknown field 'x'", true);
    refused(edit("\"status\"", "\"x\" : 1, \"status\""), "unknown field 'x'", true);
  }

  @Test
  @DisplayName("AV-3: every field must be present; a nullable one may be null")
  void decode_missingField_malformedButNullAllowedWhereTheRecordAllows() throws Exception {
    refused(edit("\"databaseVersion\" : \"27000\",", ""), "missing field: engine.databaseVersion",
        true);
    refused(edit(",\n  \"notes\" : [ \"n1\" ]", ""), "missing field: notes", true);
    refused(edit("\"signature\" : null,", ""), "missing field: files[0].signature", true);
    refused(edit("\"host\"", "null"), "scanHost", true);
    refused(edit("\"INCOMPLETE\"", "null"), "verdict", true);
    assertThat(acceptedAsBefore(edit("\"27000\"", "null")).engine().databaseVersion()).isNull();
    assertThat(acceptedAsBefore(edit("[ \"n1\" ]", "null")).notes()).isEmpty();
  }

  @Test
  @DisplayName("AV-3: objects, arrays, numbers and booleans never stand in for a string")
  void decode_wrongType_malformed() throws Exception {
    refused(edit("\"host\"", "{}"), "field 'scanHost' is missing, null or of the wrong type", true);
    refused(edit("\"files\" : [", "\"files\" : [ 1,"),
        "field 'files[0]' is missing, null or of the wrong type", true);
    refused(edit("\"27000\"", "[ \"27000\" ]"),
        "field 'engine.databaseVersion' is missing, null or of the wrong type", true);
    // A number's or boolean's text is not read as the string: a typed reader would see a number.
    refused(edit("\"host\"", "5"), "field 'scanHost' is missing, null or of the wrong type", true);
    refused(edit("\"27000\"", "27000"),
        "field 'engine.databaseVersion' is missing, null or of the wrong type", true);
    refused(edit("\"big\"", "false"), "field 'files[1].detail' is missing, null or of the wrong type",
        true);
    refused(edit("[ \"n1\" ]", "[ 1.5 ]"), "field 'notes[0]' is missing, null or of the wrong type",
        true);
  }

  @Test
  @DisplayName("AV-3: a verdict that the results do not give, or an unknown verdict name, is refused")
  void decode_verdict_malformed() {
    refused(edit("\"INCOMPLETE\"", "\"CLEAN\""), "verdict is CLEAN but the file results give",
        true);
    refused(edit("\"INCOMPLETE\"", "\"incomplete\""), "is not one of", true);
    refused(edit("\"INCOMPLETE\"", "\"\""), "is not one of", true);
  }

  @Test
  @DisplayName("AV-3: times are ISO-8601 instants; numbers and strings of digits, accepted before, are refused")
  void decode_timeForms_tightened() throws Exception {
    refused(edit("\"2026-01-02T00:00:00Z\"", "1767312000"),
        "field 'started' is not an ISO-8601 instant", false);
    refused(edit("\"2026-01-02T00:00:00Z\"", "1767312000.5"),
        "field 'started' is not an ISO-8601 instant", false);
    refused(edit("\"2026-01-02T00:00:00Z\"", "\"1767312000\""),
        "field 'started' is not an ISO-8601 instant", false);
    refused(edit("\"2026-01-02T00:00:00Z\"", "\"\""),
        "field 'started' is not an ISO-8601 instant", true);
    // An offset, as ISO-8601 allows and the old decoder read: the same instant.
    assertThat(acceptedAsBefore(edit("\"2026-01-02T00:00:00Z\"", "\"2026-01-02T01:00:00+01:00\""))
        .started()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
  }

  @Test
  @DisplayName("AV-3: an enum given by its index, accepted before, is refused")
  void decode_enumIndex_tightened() {
    refused(edit("\"INCOMPLETE\"", "2"), "field 'verdict' is not one of", false);
    refused(edit("\"CLEAN\"", "0"), "field 'files[0].status' is not one of", false);
  }

  @Test
  @DisplayName("AV-3: a null list element is refused")
  void decode_nullElement_malformed() {
    refused(edit("[ \"n1\" ]", "[ null ]"), "field 'notes[0]' is missing, null or of the wrong type",
        true);
    refused(edit("\"files\" : [", "\"files\" : [ null,"),
        "field 'files[0]' is missing, null or of the wrong type", true);
  }

  @Test
  @DisplayName("AV-3: an empty document, a null or a non-object is refused")
  void decode_notAnObject_malformed() {
    refused(new byte[0], "empty", true);
    refused("null".getBytes(StandardCharsets.UTF_8), "empty", true);
    refused("[]".getBytes(StandardCharsets.UTF_8), "the document is not a JSON object", true);
    refused("[".repeat(100_000).getBytes(StandardCharsets.UTF_8),
        "the document is not a JSON object", true);
  }
}
