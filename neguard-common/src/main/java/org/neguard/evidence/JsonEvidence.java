package org.neguard.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evidence in JSON: test cases as ordered maps (so that a document can add its own fields
 * around them), and the document as indented UTF-8 ending in a newline.
 *
 * <p>Thread-safe (stateless).
 */
public final class JsonEvidence {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonEvidence() {}

  /**
   * One test case: {@code id}, {@code reference}, {@code title}, {@code requirements}, {@code
   * purpose}, {@code procedure}, {@code expected}, {@code actual}, {@code verdict} (the {@link
   * Outcome}'s name) and {@code details}; a null field and empty details are left out. The map is
   * mutable: a caller may add fields of its own.
   */
  public static Map<String, Object> testCase(TestCase t) {
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("id", t.id());
    put(x, "reference", t.reference());
    put(x, "title", t.title());
    x.put("requirements", t.requirements());
    put(x, "purpose", t.purpose());
    x.put("procedure", t.procedure());
    put(x, "expected", t.expected());
    put(x, "actual", t.actual());
    x.put("verdict", t.outcome().name());
    if (!t.details().isEmpty()) {
      x.put("details", t.details());
    }
    return x;
  }

  /** {@link #testCase} of each, in order. */
  public static List<Map<String, Object>> testCases(List<TestCase> cases) {
    List<Map<String, Object>> out = new ArrayList<>();
    cases.forEach(c -> out.add(testCase(c)));
    return out;
  }

  /** A document of maps, lists and plain values, as indented JSON in UTF-8 with a final newline. */
  public static byte[] bytes(Object document) {
    try {
      return (MAPPER.writeValueAsString(document) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException ex) {
      throw new IllegalArgumentException("evidence documents are maps, lists and plain values: "
          + ex.getOriginalMessage(), ex);
    }
  }

  private static void put(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
