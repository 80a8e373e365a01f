package org.neguard.attest;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.DupDetector;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.neguard.json.StrictJson;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Reads the evidence payload's JSON (docs/MEASUREMENT.md, "Evidence"; {@link EvidenceEncoder}
 * writes it). Read once, strictly: duplicate
 * keys, unknown fields, wrong types and trailing data are refused, so the validation entity
 * judges exactly the object that was signed. Read with the strict mapper's streaming parser into
 * the records' fields directly (one parser, no second reading; a tree of a 44 KB payload took
 * about 55 µs of a verification, docs/BENCHMARKS.md, issue 15).
 */
final class EvidenceCodec {
  private static final ObjectMapper MAPPER = StrictJson.builder().build();
  /** Components per evidence, and files per component: bounded before anything is judged. */
  static final int MAX_COMPONENTS = 256;
  static final int MAX_LEAVES = 200_000;
  /**
   * Files across all components of one evidence. Without it 256 components of 200,000 empty
   * {@code {}} each stayed within the per-array limits while building millions of objects
   * (issue 15). No evidence of real files reaches it: a file's entry, with its 64 hex digits,
   * takes at least 103 bytes of JSON, so {@link EvidenceVerifier#MAX_LENGTH} (32 MiB of
   * base64url, 24 MiB of JSON) holds fewer than 245,000.
   */
  static final int MAX_TOTAL_LEAVES = 250_000;
  /**
   * Reads a quote's PCR when it is a scalar, as the tree reader does; the document goes on after
   * it (trailing data is checked once, at its end). Values no field takes are skipped instead.
   */
  private static final ObjectReader SUBTREE = MAPPER.readerFor(JsonNode.class)
      .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  private static final Object WRONG = new Object();

  /** What a field holds. */
  enum Kind {
    /** A string. */
    TEXT,
    /** An object of the field's inner shape. */
    OBJECT,
    /** An array of objects of the field's inner shape. */
    ARRAY,
    /** Any value, kept as the tree reads it (one small field: a quote's PCR). */
    NODE
  }

  /**
   * The fields an object may carry, by index; a field's kind, and for an object or array the
   * shape of its objects.
   */
  record Shape(String[] names, Kind[] kinds, Shape[] inner, int most, int total,
      String plural) {
    static Shape of(Object... nameKindInner) {
      int n = nameKindInner.length / 3;
      String[] names = new String[n];
      Kind[] kinds = new Kind[n];
      Shape[] inner = new Shape[n];
      for (int i = 0; i < n; i++) {
        names[i] = (String) nameKindInner[3 * i];
        kinds[i] = (Kind) nameKindInner[3 * i + 1];
        inner[i] = (Shape) nameKindInner[3 * i + 2];
      }
      return new Shape(names, kinds, inner, Integer.MAX_VALUE, Integer.MAX_VALUE, "objects");
    }

    /**
     * This shape, of which one array holds at most {@code most}: counted while reading, so
     * that the object past the limit is refused before it is built.
     */
    Shape most(int most, String plural) {
      return new Shape(names, kinds, inner, most, total, plural);
    }

    /**
     * This shape, of which all arrays of one document hold at most {@code total} together:
     * counted while reading, like {@link #most}. One shape per document may carry a total (the
     * reading keeps one count).
     */
    Shape total(int total) {
      return new Shape(names, kinds, inner, most, total, plural);
    }

    /** The index of field {@code name}, -1 if the shape has no such field. */
    int index(String name) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(name)) {
          return i;
        }
      }
      return -1;
    }
  }

  /**
   * One object as read: its fields' values by the shape's index (null when absent; a String,
   * an {@code Obj}, a {@code List} of them, a JsonNode for {@link Kind#NODE}, or {@link #WRONG}
   * when of another kind), and the first field the shape does not name.
   */
  static final class Obj {
    final Object[] values;
    String unknown;
    /**
     * The unknown fields after the first, to refuse one that comes twice (refused anyway,
     * later): a set, as a list made many unknown names cost quadratic time (review H2).
     */
    Set<String> unknowns;

    Obj(int fields) {
      values = new Object[fields];
    }
  }

  static final Shape FILE = Shape.of("path", Kind.TEXT, null, "sha256", Kind.TEXT, null,
      "mode", Kind.TEXT, null).most(MAX_LEAVES, "files").total(MAX_TOTAL_LEAVES);
  static final int F_PATH = 0;
  static final int F_SHA256 = 1;
  static final int F_MODE = 2;
  static final Shape COMPONENT = Shape.of("name", Kind.TEXT, null, "reference", Kind.TEXT,
      null, "digest", Kind.TEXT, null, "files", Kind.ARRAY, FILE)
      .most(MAX_COMPONENTS, "components");
  static final int C_NAME = 0;
  static final int C_REFERENCE = 1;
  static final int C_DIGEST = 2;
  static final int C_FILES = 3;
  static final Shape QUOTE = Shape.of("pcr", Kind.NODE, null, "attest", Kind.TEXT, null,
      "signature", Kind.TEXT, null, "eventLog", Kind.TEXT, null);
  static final int Q_PCR = 0;
  static final int Q_ATTEST = 1;
  static final int Q_SIGNATURE = 2;
  static final int Q_EVENT_LOG = 3;
  static final Shape PAYLOAD = Shape.of("format", Kind.TEXT, null, "deviceId", Kind.TEXT, null,
      "nonce", Kind.TEXT, null, "measuredAt", Kind.TEXT, null, "trustBase", Kind.TEXT, null,
      "timAlgorithm", Kind.TEXT, null, "tim", Kind.TEXT, null, "components", Kind.ARRAY,
      COMPONENT, "quote", Kind.OBJECT, QUOTE);
  static final int P_FORMAT = 0;
  static final int P_DEVICE_ID = 1;
  static final int P_NONCE = 2;
  static final int P_MEASURED_AT = 3;
  static final int P_TRUST_BASE = 4;
  static final int P_TIM_ALGORITHM = 5;
  static final int P_TIM = 6;
  static final int P_COMPONENTS = 7;
  static final int P_QUOTE = 8;
  /** The protected header of the JWS. */
  static final Shape HEADER = Shape.of("alg", Kind.TEXT, null, "typ", Kind.TEXT, null);
  static final int H_ALG = 0;
  static final int H_TYP = 1;

  private EvidenceCodec() {}

  /**
   * Reads {@code json}, which must be one JSON object of {@code shape} and nothing after it,
   * with the strict mapper's parser: a syntax error, a duplicate key at any depth, nesting or a
   * number past the parser's limits, or any token after the object is MALFORMED; an array of
   * more objects than its shape's {@link Shape#most} is SIZE_LIMIT, at the first one too many.
   * Fields the shape does not name and values not of their field's kind are skipped by the
   * same parser, unbuilt but with the tree's errors (syntax, nesting, numbers, duplicate keys),
   * then remembered as such for the caller's checks, which run on the whole document in the
   * order they always ran.
   */
  static Obj read(byte[] json, String what, Shape shape) throws RefusalException {
    try (JsonParser p = MAPPER.createParser(json)) {
      // Duplicate keys are refused here and in skip, at every depth: the parser's own
      // detection kept a hash set for every object of three fields or more, a quarter of the
      // reading of a payload of 240 files.
      p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      JsonToken t = p.nextToken();
      Obj root = null;
      if (t == JsonToken.START_OBJECT) {
        root = readObject(p, shape, new Counted());
      } else if (t != null) {
        skip(p);
      }
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw malformed("its " + what + " is not strict JSON (trailing token " + trailing
            + " after the value)");
      }
      if (root == null) {
        throw malformed("its " + what + " is not a JSON object");
      }
      return root;
    } catch (IOException e) {
      throw malformed("its " + what + " is not strict JSON (" + firstLine(e.getMessage()) + ")");
    }
  }

  /**
   * The elements read so far, across the document, of the arrays whose shape has a
   * {@link Shape#total}.
   */
  private static final class Counted {
    int elements;
  }

  private static Obj readObject(JsonParser p, Shape shape, Counted counted)
      throws IOException, RefusalException {
    Obj o = new Obj(shape.names.length);
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      int i = shape.index(name);
      JsonToken v = p.nextToken();
      if (i < 0) {
        if (o.unknown == null) {
          o.unknown = name;
        } else {
          if (o.unknowns == null) {
            o.unknowns = new HashSet<>();
          }
          if (name.equals(o.unknown) || !o.unknowns.add(name)) {
            throw duplicate(p, name);
          }
        }
        skip(p);
        continue;
      }
      if (o.values[i] != null) {
        throw duplicate(p, name);
      }
      Shape inner = shape.inner[i];
      o.values[i] = switch (shape.kinds[i]) {
        case TEXT -> v == JsonToken.VALUE_STRING ? p.getText() : wrong(p);
        case OBJECT -> v == JsonToken.START_OBJECT ? readObject(p, inner, counted) : wrong(p);
        case ARRAY -> v == JsonToken.START_ARRAY ? readArray(p, inner, counted) : wrong(p);
        case NODE -> v.isScalarValue() ? SUBTREE.readTree(p) : wrong(p);
      };
    }
    return o;
  }

  private static JsonParseException duplicate(JsonParser p, String name) {
    return new JsonParseException(p, "Duplicate field '" + name + "'");
  }

  /**
   * An array of objects of {@code shape}; an element of another kind is {@link #WRONG}. The
   * elements are counted as they come: one past {@code shape.most()} is refused unbuilt, as
   * building them all first cost hundreds of MB for a payload of millions of {@code {}}
   * (review L1). So are the elements of all arrays of a shape with a {@link Shape#total} in
   * the document: the one past it is refused unbuilt too.
   */
  private static List<Object> readArray(JsonParser p, Shape shape, Counted counted)
      throws IOException, RefusalException {
    List<Object> out = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (out.size() == shape.most()) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, "an array of more than "
            + shape.most() + " " + shape.plural() + ": at most " + shape.most()
            + " (docs/MEASUREMENT.md, \"Evidence\")");
      }
      if (shape.total() != Integer.MAX_VALUE && ++counted.elements > shape.total()) {
        throw new RefusalException(ReasonCode.SIZE_LIMIT, "more than " + shape.total() + " "
            + shape.plural() + " in all: at most " + shape.total()
            + " (docs/MEASUREMENT.md, \"Evidence\")");
      }
      out.add(t == JsonToken.START_OBJECT ? readObject(p, shape, counted) : wrong(p));
    }
    return out;
  }

  /** Skips the value the parser is at, and stands for it as "of another kind". */
  private static Object wrong(JsonParser p) throws IOException {
    skip(p);
    return WRONG;
  }

  /**
   * Skips the value the parser is at without building it (a tree of an unknown value cost
   * memory in proportion to a body that may be unsigned yet, review L1), failing where the
   * tree reader failed: the parser's own errors, and a duplicate key at any depth.
   */
  private static void skip(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.START_OBJECT) {
      DupDetector seen = DupDetector.rootDetector(p);
      for (t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        if (seen.isDup(name)) {
          throw duplicate(p, name);
        }
        p.nextToken();
        skip(p);
      }
    } else if (t == JsonToken.START_ARRAY) {
      while (p.nextToken() != JsonToken.END_ARRAY) {
        skip(p);
      }
    }
  }

  static Evidence decode(byte[] json) throws RefusalException {
    Obj n = read(json, "payload", PAYLOAD);
    only(n, "payload", PAYLOAD);
    if (!Evidence.FORMAT.equals(text(n, PAYLOAD, P_FORMAT))) {
      throw new RefusalException(ReasonCode.FORMAT_VERSION, "evidence format "
          + text(n, PAYLOAD, P_FORMAT) + ", this validation entity reads " + Evidence.FORMAT);
    }
    if (!PlatformTim.ALGORITHM.equals(text(n, PAYLOAD, P_TIM_ALGORITHM))) {
      throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "TIM algorithm "
          + text(n, PAYLOAD, P_TIM_ALGORITHM) + ", not " + PlatformTim.ALGORITHM);
    }
    if (!(n.values[P_COMPONENTS] instanceof List<?> cs)) {
      throw malformed("components is not an array");
    }
    try {
      List<Evidence.Component> components = new ArrayList<>(cs.size());
      for (Object element : cs) {
        Obj c = only(element, "component", COMPONENT);
        // No files: the component is reported by its digest alone (a null is not "no files").
        Object fv = c.values[C_FILES];
        if (fv != null && !(fv instanceof List<?>)) {
          throw malformed("a component's files is not an array");
        }
        List<?> files = fv == null ? List.of() : (List<?>) fv;
        List<TreeDigest.Leaf> leaves = new ArrayList<>(files.size());
        for (Object file : files) {
          Obj f = only(file, "file", FILE);
          leaves.add(new TreeDigest.Leaf(text(f, FILE, F_PATH), text(f, FILE, F_SHA256),
              mode(text(f, FILE, F_MODE))));
        }
        components.add(new Evidence.Component(text(c, COMPONENT, C_NAME),
            PlatformTim.Reference.valueOf(text(c, COMPONENT, C_REFERENCE)),
            text(c, COMPONENT, C_DIGEST), leaves, fv != null));
      }
      Optional<Evidence.Quote> quote = Optional.empty();
      Object qv = n.values[P_QUOTE];
      if (qv != null) {
        Obj q = only(qv, "quote", QUOTE);
        if (!(q.values[Q_PCR] instanceof JsonNode pcr) || !pcr.isInt()) {
          throw malformed("quote.pcr is not an integer");
        }
        quote = Optional.of(new Evidence.Quote(pcr.intValue(),
            Base64.getDecoder().decode(text(q, QUOTE, Q_ATTEST)),
            Base64.getDecoder().decode(text(q, QUOTE, Q_SIGNATURE)),
            eventLog(text(q, QUOTE, Q_EVENT_LOG))));
      }
      return new Evidence(Evidence.FORMAT, text(n, PAYLOAD, P_DEVICE_ID),
          text(n, PAYLOAD, P_NONCE), Instant.parse(text(n, PAYLOAD, P_MEASURED_AT)),
          Evidence.TrustBase.valueOf(text(n, PAYLOAD, P_TRUST_BASE)), components,
          text(n, PAYLOAD, P_TIM), quote);
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw malformed(firstLine(e.getMessage()));
    }
  }

  /** The event log's base64, its length checked before it is decoded. */
  private static byte[] eventLog(String base64) throws RefusalException {
    EventLog.checkLength(base64.length() / 4L * 3);
    return Base64.getDecoder().decode(base64);
  }

  /** Four octal digits (a regex per file cost a tenth of a verification). */
  private static int mode(String mode) throws RefusalException {
    int bits = 0;
    for (int i = 0; i < mode.length(); i++) {
      char c = mode.charAt(i);
      if (mode.length() != 4 || c < '0' || c > '7') {
        throw malformed("a file mode is not four octal digits: " + mode);
      }
      bits = bits * 8 + (c - '0');
    }
    if (mode.length() != 4) {
      throw malformed("a file mode is not four octal digits: " + mode);
    }
    return bits;
  }

  /** {@code v} as an object of {@code shape} without fields it does not name. */
  static Obj only(Object v, String what, Shape shape) throws RefusalException {
    if (!(v instanceof Obj o)) {
      throw malformed("a " + what + " is not an object");
    }
    if (o.unknown != null) {
      throw malformed("a " + what + " carries the unknown field " + shown(o.unknown));
    }
    return o;
  }

  /** Field {@code i} of {@code o}, which must be a string. */
  static String text(Obj o, Shape shape, int i) throws RefusalException {
    if (!(o.values[i] instanceof String s)) {
      throw malformed(shape.names[i] + " is missing or not a string");
    }
    return s;
  }

  static String shown(String s) {
    if (s == null) {
      return "(none)";
    }
    String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return '"' + cut.replaceAll("[^\\x20-\\x7e]", "?") + '"';
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  static RefusalException malformed(String message) {
    return new RefusalException(ReasonCode.MALFORMED, "the evidence is malformed: " + message);
  }
}
