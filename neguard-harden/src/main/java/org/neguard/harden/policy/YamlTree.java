package org.neguard.harden.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * A YAML document read into a small tree that remembers where every key and value stood, so
 * that a schema error can name its line and column (Jackson's data binding keeps no position for
 * a value that is well-formed but wrong). Anchors and aliases, several documents, and nesting
 * deeper than {@link #MAX_DEPTH} are refused.
 */
final class YamlTree {
  static final int MAX_DEPTH = 16;

  private static final YAMLFactory FACTORY = YAMLFactory.builder()
      .loaderOptions(loaderOptions())
      // Duplicate keys are caught below, with the position of both occurrences.
      .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();

  private YamlTree() {}

  private static LoaderOptions loaderOptions() {
    LoaderOptions o = new LoaderOptions();
    o.setAllowDuplicateKeys(false);
    o.setMaxAliasesForCollections(0);
    o.setNestingDepthLimit(MAX_DEPTH * 2);
    o.setCodePointLimit(PolicyParser.MAX_BYTES);
    return o;
  }

  /** A position in the document, 1-based. */
  record Loc(int line, int column) {
    static Loc of(JsonLocation l) {
      return l == null ? new Loc(0, 0) : new Loc(l.getLineNr(), l.getColumnNr());
    }

    @Override
    public String toString() {
      return "line " + line + ", column " + column;
    }
  }

  /** Thrown for a syntax or shape error at a position. */
  static final class TreeException extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Loc loc;

    TreeException(Loc loc, String message) {
      super(message);
      this.loc = loc;
    }
  }

  sealed interface Node permits Scalar, MapNode, ListNode {
    Loc loc();

    /** What this node is, for messages: "a mapping", "a list", "text", "a number"... */
    String kind();
  }

  record Scalar(JsonToken token, String text, Loc loc) implements Node {
    @Override
    public String kind() {
      return switch (token) {
        case VALUE_STRING -> "text '" + text + "'";
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "the number " + text;
        case VALUE_TRUE, VALUE_FALSE -> "the boolean " + text;
        case VALUE_NULL -> "an empty value";
        default -> "a scalar";
      };
    }
  }

  record Field(String key, Loc keyLoc, Node value) {}

  record MapNode(Map<String, Field> fields, Loc loc) implements Node {
    @Override
    public String kind() {
      return "a mapping";
    }
  }

  record ListNode(List<Node> items, Loc loc) implements Node {
    @Override
    public String kind() {
      return "a list";
    }
  }

  /** Reads one YAML document; an empty document gives null. */
  static Node read(byte[] yaml) throws TreeException {
    try (YAMLParser p = FACTORY.createParser(yaml)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return null;
      }
      Node root = node(p, t, 0);
      JsonToken after = p.nextToken();
      if (after != null) {
        throw new TreeException(Loc.of(p.currentTokenLocation()),
            "a second YAML document or trailing content: one policy per file");
      }
      return root;
    } catch (JsonProcessingException e) {
      String msg = e.getOriginalMessage();
      // SnakeYAML's messages carry their own position and a snippet over several lines.
      msg = msg == null ? "not valid YAML" : msg.replaceAll("\\s+", " ").trim();
      throw new TreeException(Loc.of(e.getLocation()), "YAML syntax error: " + msg);
    } catch (IOException e) {
      throw new TreeException(new Loc(0, 0), "unreadable: " + e.getMessage());
    } catch (RuntimeException e) {
      // SnakeYAML reports some errors (limits, duplicate keys) as its own unchecked exceptions.
      String msg = String.valueOf(e.getMessage()).replaceAll("\\s+", " ").trim();
      throw new TreeException(new Loc(0, 0), "YAML error: " + msg);
    }
  }

  private static Node node(YAMLParser p, JsonToken t, int depth)
      throws IOException, TreeException {
    Loc loc = Loc.of(p.currentTokenLocation());
    if (depth > MAX_DEPTH) {
      throw new TreeException(loc, "nested deeper than " + MAX_DEPTH + " levels");
    }
    if (p.isCurrentAlias()) {
      throw new TreeException(loc, "YAML aliases (*" + p.getText()
          + ") are not allowed in a policy: write the value out");
    }
    switch (t) {
      case START_OBJECT -> {
        Map<String, Field> fields = new LinkedHashMap<>();
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          String key = p.currentName();
          Loc keyLoc = Loc.of(p.currentTokenLocation());
          if (fields.containsKey(key)) {
            throw new TreeException(keyLoc, "duplicate key '" + key + "' (first at "
                + fields.get(key).keyLoc() + ")");
          }
          Node value = node(p, p.nextToken(), depth + 1);
          fields.put(key, new Field(key, keyLoc, value));
        }
        return new MapNode(Collections.unmodifiableMap(fields), loc);
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
          items.add(node(p, i, depth + 1));
        }
        return new ListNode(List.copyOf(items), loc);
      }
      case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE,
          VALUE_NULL -> {
        return new Scalar(t, p.getText(), loc);
      }
      default -> throw new TreeException(loc, "unexpected YAML content (" + t + ")");
    }
  }
}
