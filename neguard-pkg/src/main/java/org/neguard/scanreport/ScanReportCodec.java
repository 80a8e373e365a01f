package org.neguard.scanreport;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.neguard.json.StrictJson;
import org.neguard.json.StrictJsonReader;
import org.neguard.json.StrictJsonReader.ShapeException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads and writes scan reports. Writing is deterministic (field order fixed, indented, ending
 * in a newline), because the manifest signs the report's SHA-256. Reading is strict like the
 * manifest's: unknown or duplicate fields, missing fields and type coercions are refusals.
 *
 * <p>{@link #decode} is the one report decoder (verify, the server, the rewriter). It walks
 * Jackson's streaming parser with {@link StrictJsonReader}, so that {@code pkg verify} never
 * sets up data binding (issue 17). It accepts what the strict mapper it replaced accepted, to
 * the same values, except forms NEGuard never writes, now refused (ScanReportDecoderTest): a
 * time as a number, a string of digits or with white space around it (only ISO-8601 instants
 * are read), a verdict or status as an enum index, a number or boolean where a string goes
 * (read as its text before), a null element in a list, and bytes that are not strict UTF-8
 * ({@link StrictJsonReader#open}).
 *
 * <p>Thread-safe.
 */
public final class ScanReportCodec {
  /**
   * Writing only (and the test oracle of the decoder it replaced); a holder, so that reading
   * never initialises data binding.
   */
  static final class Writer {
    static final ObjectMapper MAPPER =
        StrictJson.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .serializationInclusion(JsonInclude.Include.ALWAYS)
            .build();
  }

  private ScanReportCodec() {}

  /**
   * Sets up data binding for reports ahead of the first {@link #encode}: its classes, and the
   * serializers the writer builds and keeps on first use. A scanner calls it on a thread of its
   * own while the engines work, so that the reports written after the scan (on a cold JVM, a
   * tenth of a second of the command's tail) find it done. Idempotent; thread-safe.
   */
  public static void prepare() {
    Instant at = Instant.EPOCH;
    List<FileResult> files = List.of(FileResult.clean("f"), FileResult.notScanned("g", "why"),
        FileResult.infected("h", "Eicar-Signature", null));
    encode(new ScanReport(ScanReport.FORMAT,
        new EngineInfo("clamd", "ClamAV", "1", "1", at, "unix:/s"), "host", "NEGuard", at, at,
        "p", "1", "sha256-tree-v1:0", files, ScanReport.verdictOf(files), List.of("note")));
  }

  /** UTF-8 JSON, indented, ending in a newline. */
  public static byte[] encode(ScanReport report) {
    try {
      byte[] json = Writer.MAPPER.writeValueAsBytes(report);
      byte[] out = new byte[json.length + 1];
      System.arraycopy(json, 0, out, 0, json.length);
      out[json.length] = '\n';
      return out;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a scan report record always serializes", e);
    }
  }

  /**
   * Parses a report. Every field must be present; a field may be null where the record allows
   * it ({@code databaseVersion}, {@code databaseDate}, {@code signature}, {@code detail}, {@code
   * notes}).
   *
   * @param name the report's entry name, for messages
   * @throws RefusalException {@code MALFORMED} naming the problem
   */
  public static ScanReport decode(String name, byte[] json) throws RefusalException {
    try (StrictJsonReader in = StrictJsonReader.open(json)) {
      if (in.token() == null || in.token() == JsonToken.VALUE_NULL) {
        throw malformed(name, "empty");
      }
      ScanReport report = report(in);
      in.end("object");
      return report;
    } catch (IllegalArgumentException | NullPointerException e) {
      // The records' own checks: a value out of range, or null where one is required.
      throw malformed(name, e.getMessage());
    } catch (ShapeException e) {
      throw malformed(name, e.getMessage());
    } catch (JsonProcessingException e) {
      throw malformed(name, e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed(name, "unreadable");
    }
  }

  private static final List<String> REPORT = List.of("format", "engine", "scanHost", "scanner",
      "started", "finished", "packageName", "packageVersion", "payloadDigest", "files", "verdict",
      "notes");
  private static final List<String> ENGINE = List.of(
      "kind", "product", "engineVersion", "databaseVersion", "databaseDate", "endpoint");
  private static final List<String> FILE = List.of("path", "status", "signature", "detail");

  private static ScanReport report(StrictJsonReader in) throws IOException, ShapeException {
    Object[] v = read(in, "", REPORT, (field, at) -> switch (field) {
      case "engine" -> engine(in, at);
      case "started", "finished" -> instant(in, at);
      case "files" -> in.array(at, e -> file(in, e));
      case "verdict" -> in.isNull() ? null : named(in, at, ScanReport.Verdict.class);
      case "notes" -> in.isNull() ? null : in.array(at, e -> in.text(e));
      default -> in.textOrNull(at);
    });
    @SuppressWarnings("unchecked")
    List<FileResult> files = (List<FileResult>) v[9];
    @SuppressWarnings("unchecked")
    List<String> notes = (List<String>) v[11];
    return new ScanReport((String) v[0], (EngineInfo) v[1], (String) v[2], (String) v[3],
        (Instant) v[4], (Instant) v[5], (String) v[6], (String) v[7], (String) v[8], files,
        (ScanReport.Verdict) v[10], notes);
  }

  private static EngineInfo engine(StrictJsonReader in, String path)
      throws IOException, ShapeException {
    if (in.isNull()) {
      return null;
    }
    Object[] v = read(in, path, ENGINE,
        (field, at) -> "databaseDate".equals(field) ? instant(in, at) : in.textOrNull(at));
    return new EngineInfo((String) v[0], (String) v[1], (String) v[2], (String) v[3],
        (Instant) v[4], (String) v[5]);
  }

  private static FileResult file(StrictJsonReader in, String path)
      throws IOException, ShapeException {
    Object[] v = read(in, path, FILE, (field, at) -> "status".equals(field)
        ? (in.isNull() ? null : named(in, at, FileResult.Status.class))
        : in.textOrNull(at));
    return new FileResult((String) v[0], (FileResult.Status) v[1], (String) v[2], (String) v[3]);
  }

  /** Reads one field's value (null allowed); the record's constructor judges nulls. */
  private interface Value {
    Object read(String field, String path) throws IOException, ShapeException;
  }

  /** Reads an object with exactly {@code fields}, each present (a JSON null counts as present). */
  private static Object[] read(StrictJsonReader in, String path, List<String> fields, Value value)
      throws IOException, ShapeException {
    Object[] v = new Object[fields.size()];
    boolean[] seen = new boolean[fields.size()];
    in.fields(path, (field, at) -> {
      int i = fields.indexOf(field);
      if (i >= 0) {
        v[i] = value.read(field, at);
        seen[i] = true;
      }
      return i >= 0;
    });
    for (int i = 0; i < seen.length; i++) {
      if (!seen[i]) {
        throw new ShapeException("missing field: " + (path.isEmpty() ? "" : path + ".")
            + fields.get(i));
      }
    }
    return v;
  }

  /** An ISO-8601 instant (what {@link #encode} writes), or null. */
  private static Instant instant(StrictJsonReader in, String path)
      throws IOException, ShapeException {
    if (in.isNull()) {
      return null;
    }
    try {
      if (in.token() == JsonToken.VALUE_STRING) {
        return Instant.parse(in.text(path));
      }
    } catch (DateTimeParseException e) {
      // refused below
    }
    throw new ShapeException("field '" + path + "' is not an ISO-8601 instant string");
  }

  /** An enum constant by its exact name (no index, no other case). */
  private static <E extends Enum<E>> E named(StrictJsonReader in, String path, Class<E> type)
      throws IOException, ShapeException {
    if (in.token() == JsonToken.VALUE_STRING) {
      String text = in.text(path);
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(text)) {
          return e;
        }
      }
    }
    throw new ShapeException("field '" + path + "' is not one of "
        + java.util.Arrays.toString(type.getEnumConstants()));
  }

  private static RefusalException malformed(String name, String why) {
    return RefusalException.about(
        ReasonCode.MALFORMED, name, "scan report '" + name + "' is not valid: " + why);
  }
}
