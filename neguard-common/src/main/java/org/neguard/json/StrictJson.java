package org.neguard.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

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
}
