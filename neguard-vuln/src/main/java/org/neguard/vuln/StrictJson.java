package org.neguard.vuln;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The strict reading of JSON fields that the feed and VEX readers share: an absent or null array
 * is empty, anything else that is not an array refuses the whole document, naming the field and
 * the source.
 */
final class StrictJson {
  private StrictJson() {}

  /** Field {@code field} of {@code n} as an array; empty when absent or null. */
  static Iterable<JsonNode> array(JsonNode n, String field, String source)
      throws RefusalException {
    JsonNode a = n.get(field);
    if (a == null || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw malformed(source, field + " is not an array");
    }
    return a;
  }

  /** A {@code MALFORMED} refusal of {@code source}, saying {@code message}. */
  static RefusalException malformed(String source, String message) {
    return new RefusalException(ReasonCode.MALFORMED, source + ": " + message);
  }
}
