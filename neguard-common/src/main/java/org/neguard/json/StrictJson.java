package org.neguard.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The one reading discipline for JSON that feeds a security decision (manifests, scan reports,
 * observations): unknown fields, duplicate keys, missing or null creator fields, scalar
 * coercions (a number or boolean read into a string too) and trailing data are all errors;
 * output is indented and deterministic.
 */
public final class StrictJson {
  private StrictJson() {}

  /** A builder with the strict settings; callers add their modules and build. */
  public static JsonMapper.Builder builder() {
    return JsonMapper.builder()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        // A number or boolean where a string goes: Jackson reads it as its text even with scalar
        // coercion off, where StrictJsonReader (and tuf-js, and most other readers) refuse it;
        // two readers of one document must not differ.
        .withCoercionConfig(LogicalType.Textual, c -> c
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .enable(SerializationFeature.INDENT_OUTPUT);
  }

  /**
   * Instants as ISO-8601 strings, written in UTC by {@link Instant#toString()} (what Jackson's
   * java.time module writes with timestamps off) and read by {@link Instant#parse} (which, like
   * that module, also takes an offset and converts it to UTC), and nothing else: a number, or a
   * string that is not an instant, is refused. For documents whose
   * only date type is {@code Instant}: the whole java.time module is 75 classes that the NE agent
   * would keep in memory for one field of its inventory.
   */
  public static SimpleModule instants() {
    SimpleModule m = new SimpleModule("neguard-instants");
    m.addSerializer(Instant.class, ToStringSerializer.instance);
    m.addDeserializer(Instant.class, new InstantDeserializer());
    return m;
  }

  private static final class InstantDeserializer extends StdScalarDeserializer<Instant> {
    private static final long serialVersionUID = 1L;

    InstantDeserializer() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.hasToken(JsonToken.VALUE_STRING)) {
        return (Instant) ctxt.handleUnexpectedToken(Instant.class, p);
      }
      String text = p.getText();
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        return (Instant) ctxt.handleWeirdStringValue(Instant.class, text,
            "not an instant such as 2026-12-06T02:00:00Z");
      }
    }
  }
}
