package org.neguard.agent.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JacksonJrExtension;
import com.fasterxml.jackson.jr.ob.api.ExtensionContext;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import java.io.IOException;
import java.util.Locale;

/**
 * The agent's one Jackson jr: what the device API's records ({@link WireJson}) and the agent's
 * own state files ({@code org.neguard.agent.StateJson}) are read with, so that neither reads a
 * document more leniently than the other, or than the server's data binding. Jackson jr loads
 * about 40 classes into an idle agent where the data binding loads 540 (docs/AGENT.md
 * "Footprint"); on its own it is lenient where a security decision must not be, so here:
 * <ul>
 *   <li>a text, number or boolean field takes only a token of its kind (jr alone reads an object
 *       there as null and goes on reading the object's fields as the outer record's);
 *   <li>a number must fit its field;
 *   <li>a primitive field must be present and not null (the binding would invent 0 or false);
 *   <li>duplicate keys are an error, and {@link #requireOneValue} refuses anything after the
 *       value (jr stops reading after it).
 * </ul>
 * Unknown fields are ignored (a newer server's). Thread-safe, like jr's {@code JSON}.
 */
public final class StrictJr {
  private static final JsonFactory STREAMS = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** Jackson jr with the rules above; {@code JSON.with(...)} keeps them. */
  public static final JSON JSON = com.fasterxml.jackson.jr.ob.JSON.builder(STREAMS)
      .register(new JacksonJrExtension() {
        @Override
        protected void register(ExtensionContext ctxt) {
          ctxt.insertProvider(new StrictScalars());
        }
      })
      .build();

  private StrictJr() {}

  /**
   * Refuses {@code json} unless it is one JSON value and nothing after it.
   *
   * @throws IOException not JSON, or more after the first value
   */
  public static void requireOneValue(byte[] json) throws IOException {
    try (JsonParser p = STREAMS.createParser(json)) {
      if (p.nextToken() != null) {
        p.skipChildren();
      }
      if (p.nextToken() != null) {
        throw new JsonParseException(p, "more JSON after the value");
      }
    }
  }

  /** Readers of text, whole numbers and booleans that take only a token of their kind. */
  private static final class StrictScalars extends ReaderWriterProvider {
    @Override
    public ValueReader findValueReader(JSONReader ctxt, Class<?> type) {
      if (type == String.class) {
        return new Scalar(type, false);
      }
      if (type == int.class || type == long.class || type == boolean.class) {
        return new Scalar(type, true);
      }
      if (type == Integer.class || type == Long.class || type == Boolean.class) {
        return new Scalar(type, false);
      }
      return null;
    }
  }

  private static final class Scalar extends ValueReader {
    private final boolean primitive;

    Scalar(Class<?> type, boolean primitive) {
      super(type);
      this.primitive = primitive;
    }

    @Override
    public Object read(JSONReader reader, JsonParser p) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_NULL && !primitive) {
        return null;
      }
      Class<?> type = valueType();
      if (type == String.class && t == JsonToken.VALUE_STRING) {
        return p.getText();
      }
      if ((type == boolean.class || type == Boolean.class)
          && (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE)) {
        return t == JsonToken.VALUE_TRUE;
      }
      if (t == JsonToken.VALUE_NUMBER_INT) {
        JsonParser.NumberType n = p.getNumberType();
        if ((type == int.class || type == Integer.class) && n == JsonParser.NumberType.INT) {
          return p.getIntValue();
        }
        if ((type == long.class || type == Long.class)
            && (n == JsonParser.NumberType.INT || n == JsonParser.NumberType.LONG)) {
          return p.getLongValue();
        }
      }
      throw new JsonParseException(p, "expected " + (primitive ? "" : "null or ")
          + type.getSimpleName().toLowerCase(Locale.ROOT) + ", found " + t);
    }
  }
}
