package org.neguard.scanreport;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.neguard.json.StrictJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads and writes scan reports. Writing is deterministic (field order fixed, indented, ending
 * in a newline), because the manifest signs the report's SHA-256. Reading is strict like the
 * manifest's: unknown or duplicate fields, missing fields and type coercions are refusals.
 *
 * <p>Thread-safe.
 */
public final class ScanReportCodec {
  private static final ObjectMapper MAPPER =
      StrictJson.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
          .serializationInclusion(JsonInclude.Include.ALWAYS)
          .build();

  private ScanReportCodec() {}

  /** UTF-8 JSON, indented, ending in a newline. */
  public static byte[] encode(ScanReport report) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(report);
      byte[] out = new byte[json.length + 1];
      System.arraycopy(json, 0, out, 0, json.length);
      out[json.length] = '\n';
      return out;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a scan report record always serializes", e);
    }
  }

  /**
   * Parses a report.
   *
   * @param name the report's entry name, for messages
   * @throws RefusalException {@code MALFORMED} naming the problem
   */
  public static ScanReport decode(String name, byte[] json) throws RefusalException {
    try {
      ScanReport report = MAPPER.readValue(json, ScanReport.class);
      if (report == null) {
        throw malformed(name, "empty");
      }
      return report;
    } catch (UnrecognizedPropertyException e) {
      throw malformed(name, "unknown field '" + e.getPropertyName() + "'");
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw malformed(name, cause.getMessage());
    } catch (JsonProcessingException e) {
      throw malformed(name, e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed(name, "unreadable");
    }
  }

  private static RefusalException malformed(String name, String why) {
    return RefusalException.about(
        ReasonCode.MALFORMED, name, "scan report '" + name + "' is not valid: " + why);
  }
}
