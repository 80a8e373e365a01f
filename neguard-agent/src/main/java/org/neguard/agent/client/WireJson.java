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
import java.util.List;
import org.neguard.api.problem.ProblemReason;

/**
 * The device API's records as JSON on the agent's side: Jackson jr, whose record binding loads
 * about 40 classes into an idle agent where Jackson's data binding loads 540 (docs/AGENT.md
 * "Footprint"). Written: fields by their record component names, nulls left out (the server
 * takes an absent field as null). Read: unknown fields of a newer server ignored; otherwise no
 * more lenient than the server's data binding, so that the two never read one document two
 * ways (WireJsonTest, over every record the agent exchanges): a text, number or boolean field
 * takes only a token of its kind (jr on its own would read an object there as null and go on
 * reading the object's fields as the outer record's), a number must fit its field, a primitive
 * field must be present and not null (the binding would invent 0 or false: the server always
 * writes them), duplicate keys and anything after the value are errors.
 */
final class WireJson {
  private static final JsonFactory STREAMS = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final JSON JSON = com.fasterxml.jackson.jr.ob.JSON.builder(STREAMS)
      .register(new JacksonJrExtension() {
        @Override
        protected void register(ExtensionContext ctxt) {
          ctxt.insertProvider(new StrictScalars());
        }
      })
      .build();

  private WireJson() {}

  static byte[] write(Object value) throws IOException {
    return JSON.asBytes(value);
  }

  static <T> T read(byte[] json, Class<T> type) throws IOException {
    T value = JSON.beanFrom(type, json);
    requireOneValue(json);
    return value;
  }

  static <T> List<T> readList(byte[] json, Class<T> type) throws IOException {
    List<T> value = JSON.listOfFrom(type, json);
    requireOneValue(json);
    return value;
  }

  /**
   * A problem's reasons. Its verdict is not read: it is an enum written by its lower-case
   * value, which only the server's binding maps back, and the agent needs the reasons only.
   */
  static List<ProblemReason> reasons(byte[] problem) throws IOException {
    ProblemBody body = read(problem, ProblemBody.class);
    if (body == null || body.reasons() == null || body.reasons().isEmpty()) {
      throw new IOException("not a problem: no reasons");
    }
    return body.reasons();
  }

  record ProblemBody(List<ProblemReason> reasons) {}

  /** jr stops after the first value; the server's binding refuses what follows it. */
  private static void requireOneValue(byte[] json) throws IOException {
    try (JsonParser p = STREAMS.createParser(json)) {
      if (p.nextToken() != null) {
        p.skipChildren();
      }
      if (p.nextToken() != null) {
        throw new JsonParseException(p, "more JSON after the answer's value");
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
          + type.getSimpleName().toLowerCase(java.util.Locale.ROOT) + ", found " + t);
    }
  }
}
