package org.neguard.tuf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.neguard.json.StrictJson;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Canonical JSON as securesystemslib and OLPC define it, which is what every TUF signature is
 * over: object keys sorted by UTF-16 code units ({@link String#compareTo}, the order JavaScript's
 * {@code sort()} gives tuf-js), no whitespace, strings with only {@code "} and {@code \} escaped
 * and every other character as its UTF-8 bytes, integers only (a float has no canonical form, so
 * two implementations could sign different bytes for it).
 *
 * <p>Reading is strict for the same reason as the rest of NEGuard's security JSON: duplicate
 * keys, trailing data and floats are refused, so that what this client verifies is exactly what
 * any other TUF client would read.
 */
public final class CanonicalJson {
  private static final ObjectMapper MAPPER = StrictJson.builder().build();

  private CanonicalJson() {}

  /**
   * The canonical bytes of {@code node}.
   *
   * @throws IllegalArgumentException for a float, or a node that is not plain JSON (binary, POJO)
   */
  public static byte[] encode(JsonNode node) {
    StringBuilder b = new StringBuilder(256);
    write(node, b, false);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The bytes a metadata file is written as: the canonical form with control characters escaped
   * ({@code \n}, {@code \u0001}), because canonical JSON leaves them raw and no JSON parser
   * (tuf-js's {@code JSON.parse}, Jackson) reads a raw control character in a string. An ECDSA
   * key's PEM has new lines. Still deterministic: the same metadata, the same bytes.
   */
  static byte[] encodeFile(JsonNode node) {
    StringBuilder b = new StringBuilder(256);
    write(node, b, true);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode node, StringBuilder b, boolean file) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        b.append('{');
        boolean first = true;
        for (String name : names) {
          if (!first) {
            b.append(',');
          }
          first = false;
          string(name, b, file);
          b.append(':');
          write(node.get(name), b, file);
        }
        b.append('}');
      }
      case ARRAY -> {
        b.append('[');
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            b.append(',');
          }
          write(node.get(i), b, file);
        }
        b.append(']');
      }
      case STRING -> string(node.textValue(), b, file);
      case NUMBER -> {
        if (!node.isIntegralNumber()) {
          throw new IllegalArgumentException(
              "canonical JSON has no floats, and this value is one: " + node);
        }
        b.append(node.bigIntegerValue().toString());
      }
      case BOOLEAN -> b.append(node.booleanValue());
      case NULL -> b.append("null");
      default -> throw new IllegalArgumentException(
          "canonical JSON has no " + node.getNodeType() + " values");
    }
  }

  private static void string(String s, StringBuilder b, boolean file) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      } else if (file && c < 0x20) {
        b.append(c == '\n' ? "\\n" : String.format("\\u%04x", (int) c));
        continue;
      }
      b.append(c);
    }
    b.append('"');
  }

  /**
   * Parses one JSON object strictly: the size first (before a byte is parsed), then duplicate
   * keys, trailing data and floats anywhere in the tree.
   *
   * @param what what the bytes are, for the message ("timestamp.json")
   * @throws RefusalException {@code SIZE_LIMIT} when {@code bytes} is longer than
   *     {@code maxBytes}; {@code MALFORMED} for anything but one strict JSON object
   */
  public static ObjectNode parseObject(byte[] bytes, long maxBytes, String what)
      throws RefusalException {
    if (bytes.length > maxBytes) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT,
          what + " is " + bytes.length + " bytes, above the limit of " + maxBytes
              + "; the repository or a mirror serves endless data: use another mirror");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.MALFORMED,
          what + " is not strict JSON (" + firstLine(e.getMessage())
              + "); the repository serves a damaged file: tell its administrator", e);
    }
    if (tree == null || !tree.isObject()) {
      throw new RefusalException(ReasonCode.MALFORMED, what + " is not a JSON object");
    }
    String floatAt = findFloat(tree, "$");
    if (floatAt != null) {
      throw new RefusalException(ReasonCode.MALFORMED,
          what + " has a float at " + floatAt + ", which canonical JSON cannot sign");
    }
    return (ObjectNode) tree;
  }

  private static String findFloat(JsonNode node, String path) {
    if (node.isNumber() && !node.isIntegralNumber()) {
      return path;
    }
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        String found = findFloat(e.getValue(), path + "." + e.getKey());
        if (found != null) {
          return found;
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String found = findFloat(node.get(i), path + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /** {@code node} as it reads back from its canonical bytes (the parser's number types). */
  static ObjectNode normalized(ObjectNode node) {
    try {
      return (ObjectNode) MAPPER.readTree(encodeFile(node));
    } catch (IOException e) {
      throw new IllegalArgumentException("a JSON object does not read back: " + e.getMessage(), e);
    }
  }

  /** A fresh object node, for building {@code signed} contents and {@code custom} objects. */
  public static ObjectNode newObject() {
    return JsonNodeFactory.instance.objectNode();
  }

  static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
