package org.neguard.scanreport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The scan report decoder of main before issue 17 (Jackson data binding over the records), kept
 * in test scope only as the oracle {@link ScanReportCodec#decode} is compared against
 * (ScanReportDecoderTest). No production code reads through it.
 */
final class DatabindScanReportOracle {
  /**
   * The mapper of main (the one the codec still writes with), except that a number or boolean
   * no longer stands in for a string: it read them as their text; the one decoder refuses them
   * now, so the oracle must too.
   */
  private static final ObjectMapper MAPPER = ScanReportCodec.Writer.MAPPER.copy();

  static {
    MAPPER.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
  }

  private DatabindScanReportOracle() {}

  /**
   * Parses a report.
   *
   * @param name the report's entry name, for messages
   * @throws RefusalException {@code MALFORMED} naming the problem
   */
  static ScanReport decode(String name, byte[] json) throws RefusalException {
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
