package org.neguard.agent;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.Map;
import org.neguard.agent.client.StrictJr;

/**
 * The agent's own JSON files in its state directory (the journal, installed.json,
 * last-result.json): maps of plain values with Jackson jr, which an agent that has installed
 * something reads at every start; Jackson's data binding, 540 classes, stays out of the idle
 * agent (docs/AGENT.md "Footprint"). Files written by earlier agents with the data binding read
 * the same: the JSON is plain objects, strings, numbers and booleans. Read with the agent's one
 * Jackson jr ({@link StrictJr}), as strictly as the device API's records: duplicate keys, more
 * after the value, and a record field of the wrong kind (the journal's outcome, bound.json's
 * PCR as an object) are each an IOException, which stops the agent (fail closed).
 */
final class StateJson {
  private static final JSON JSON = StrictJr.JSON
      // The journal keeps its null fields (a step's slot not chosen yet): written, read as null.
      .with(com.fasterxml.jackson.jr.ob.JSON.Feature.WRITE_NULL_PROPERTIES);

  private StateJson() {}

  static byte[] write(Map<String, ?> object) throws IOException {
    return JSON.asBytes(object);
  }

  /** A JSON object; anything else (an array, a string, {@code null}) is an IOException. */
  static Map<String, Object> read(byte[] json) throws IOException {
    Object any = JSON.anyFrom(json);
    StrictJr.requireOneValue(json);
    if (!(any instanceof Map<?, ?> m)) {
      throw new IOException("not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) m;
    return object;
  }

  /** A record written by {@link #write} or the data binding, read back (the journal's outcome). */
  static <T> T bean(Object value, Class<T> type) throws IOException {
    return JSON.beanFrom(type, JSON.asBytes(value));
  }

  static <T> T readBean(byte[] json, Class<T> type) throws IOException {
    T value = JSON.beanFrom(type, json);
    StrictJr.requireOneValue(json);
    if (value == null) {
      throw new IOException("not a JSON object");
    }
    return value;
  }

  static byte[] writeBean(Object record) throws IOException {
    return JSON.asBytes(record);
  }

  /*
   * The fields below are read strictly: the agent writes each of them in one form, and a state
   * file in any other (a number as text, an object where a text goes) is damaged or not its
   * own. The caller's IOException then stops what it was doing (fail closed: the journal and
   * installed.json decide what is installed and the anti-rollback floor).
   */

  /** A text field: null when absent or null. */
  static String text(Map<String, Object> n, String field) throws IOException {
    Object v = n.get(field);
    if (v == null || v instanceof String) {
      return (String) v;
    }
    throw new IOException(field + " is not a text");
  }

  /** A text field that must be there. */
  static String requiredText(Map<String, Object> n, String field) throws IOException {
    String v = text(n, field);
    if (v == null) {
      throw new IOException(field + " is missing");
    }
    return v;
  }

  /** A whole number field that must be there and fit a long. */
  static long number(Map<String, Object> n, String field) throws IOException {
    Object v = n.get(field);
    if (v instanceof Integer || v instanceof Long) {
      return ((Number) v).longValue();
    }
    throw new IOException(field + (v == null ? " is missing" : " is not a whole number"));
  }

  /** A boolean field: false when absent or null. */
  static boolean flag(Map<String, Object> n, String field) throws IOException {
    Object v = n.get(field);
    if (v == null || v instanceof Boolean) {
      return Boolean.TRUE.equals(v);
    }
    throw new IOException(field + " is not true or false");
  }

  /** An object field: null when absent or null. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<String, Object> n, String field) throws IOException {
    Object v = n.get(field);
    if (v == null || v instanceof Map<?, ?>) {
      return (Map<String, Object>) v;
    }
    throw new IOException(field + " is not an object");
  }
}
