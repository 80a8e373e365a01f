package org.neguard.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link StrictJson}'s reading discipline over Jackson's streaming parser, for documents read on
 * a hot path (the manifest and scan reports of {@code pkg verify}): no data binding is set up,
 * which costs a cold JVM about 0.3 CPU-seconds (issue 17).
 *
 * <p>The parser is the one {@link StrictJson}'s mappers use, with the same settings (duplicate
 * keys refused, Jackson's default size and depth limits, no comments, no NaN, no leading zeros),
 * so tokenizing is the same (on text decoded as strict UTF-8 first, see {@link #open}). The
 * binding rules: a string field takes a JSON string only, an integer field an integer token only,
 * objects and arrays never stand in for scalars, and nothing follows the document. The strict
 * mapper's string reading also takes a number or boolean as its text; this reader does not: a
 * signed {@code "version": 1} read here as "1" would be a number to tuf-js or any typed reader
 * of the same bytes. Unknown and missing fields are the caller's to refuse, as it
 * walks its object with {@link #fields}.
 *
 * <p>Not thread-safe: one reader per document.
 */
public final class StrictJsonReader implements AutoCloseable {
  private static final JsonFactory FACTORY =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final JsonParser parser;

  private StrictJsonReader(JsonParser parser) {
    this.parser = parser;
  }

  /**
   * A document of the wrong shape: the message names the field by its path ({@code
   * files[0].size}) and says what is wrong with it. Bad JSON itself is Jackson's {@link
   * com.fasterxml.jackson.core.JsonProcessingException}.
   */
  public static final class ShapeException extends Exception {
    private static final long serialVersionUID = 1L;

    public ShapeException(String message) {
      super(message);
    }
  }

  /** Reads the fields of one object; the parser stands on the field's value when called. */
  @FunctionalInterface
  public interface FieldHandler {
    /** @return false if {@code name} is not a field of this object */
    boolean field(String name, String path) throws IOException, ShapeException;
  }

  /** Reads one array element; the parser stands on the element when called. */
  @FunctionalInterface
  public interface ElementReader<T> {
    T element(String path) throws IOException, ShapeException;
  }

  /**
   * Opens {@code json}, strict UTF-8 with an optional byte order mark, and moves to the root
   * value. The bytes are decoded here, not by Jackson: Jackson's byte parser takes overlong
   * forms ({@code C0 AF} for {@code /}) and UTF-8-encoded surrogates, and guesses UTF-16 or
   * UTF-32 from the first bytes, where any other reader of the signed bytes would refuse them
   * or read other text.
   *
   * @return a reader standing on null for an empty document (or one of white space only)
   * @throws ShapeException for bytes that are not UTF-8
   */
  public static StrictJsonReader open(byte[] json) throws IOException, ShapeException {
    boolean bom = json.length >= 3
        && (json[0] & 0xff) == 0xef && (json[1] & 0xff) == 0xbb && (json[2] & 0xff) == 0xbf;
    int start = bom ? 3 : 0;
    CharBuffer chars;
    try {
      chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(json, start, json.length - start));
    } catch (CharacterCodingException e) {
      throw new ShapeException("Invalid UTF-8 in the document (" + e.getMessage() + ")");
    }
    JsonParser p = FACTORY.createParser(chars.array(), chars.arrayOffset() + chars.position(),
        chars.remaining());
    p.nextToken();
    return new StrictJsonReader(p);
  }

  /** The token the reader stands on. */
  public JsonToken token() {
    return parser.currentToken();
  }

  /** Refuses anything but white space after the root value. */
  public void end(String what) throws IOException, ShapeException {
    if (parser.nextToken() != null) {
      throw new ShapeException("data follows the JSON " + what);
    }
  }

  /**
   * Walks the object the reader stands on, handing each field to {@code handler}; a field it
   * does not know is refused as {@code unknown field 'name'} before its value is read.
   */
  public void fields(String path, FieldHandler handler) throws IOException, ShapeException {
    expect(JsonToken.START_OBJECT, path);
    String prefix = path.isEmpty() ? "" : path + ".";
    for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
      String name = parser.currentName();
      parser.nextToken();
      if (!handler.field(name, prefix + name)) {
        throw new ShapeException("unknown field '" + name + "'");
      }
    }
  }

  /** The array the reader stands on, each element read by {@code reader}; null elements refused. */
  public <T> List<T> array(String path, ElementReader<T> reader)
      throws IOException, ShapeException {
    expect(JsonToken.START_ARRAY, path);
    List<T> out = new ArrayList<>();
    for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
      String at = path + "[" + out.size() + "]";
      if (t == JsonToken.VALUE_NULL) {
        throw wrongType(at);
      }
      out.add(reader.element(at));
    }
    return out;
  }

  /** True (and nothing read) if the reader stands on a JSON null. */
  public boolean isNull() {
    return parser.currentToken() == JsonToken.VALUE_NULL;
  }

  /**
   * A string: a JSON string token only. A number or boolean is refused like an object, not read
   * as its text, so that no other reader of the same bytes can see a different type there.
   */
  public String text(String path) throws IOException, ShapeException {
    if (parser.currentToken() != JsonToken.VALUE_STRING) {
      throw wrongType(path);
    }
    return parser.getText();
  }

  /** {@link #text}, or null for a JSON null. */
  public String textOrNull(String path) throws IOException, ShapeException {
    return isNull() ? null : text(path);
  }

  /**
   * An integer in the range of a long: an integer token only (no string, no fraction or
   * exponent, no null); one out of range is Jackson's own error, as for the mapper.
   */
  public long longValue(String path) throws IOException, ShapeException {
    if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT) {
      throw wrongType(path);
    }
    return parser.getLongValue();
  }

  private void expect(JsonToken token, String path) throws ShapeException {
    if (parser.currentToken() != token) {
      throw wrongType(path);
    }
  }

  /** The refusal for a value of the wrong type (or null where none may be) at {@code path}. */
  public static ShapeException wrongType(String path) {
    return new ShapeException(path.isEmpty()
        ? "the document is not a JSON object"
        : "field '" + path + "' is missing, null or of the wrong type");
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
