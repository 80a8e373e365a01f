package org.neguard.agent.client;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.List;
import org.neguard.api.problem.ProblemReason;

/**
 * The device API's records as JSON on the agent's side, with the agent's one Jackson jr
 * ({@link StrictJr}). Written: fields by their record component names, nulls left out (the
 * server takes an absent field as null). Read: unknown fields of a newer server ignored;
 * otherwise no more lenient than the server's data binding, so that the two never read one
 * document two ways (WireJsonTest, over every record the agent exchanges).
 */
final class WireJson {
  private static final JSON JSON = StrictJr.JSON;

  private WireJson() {}

  static byte[] write(Object value) throws IOException {
    return JSON.asBytes(value);
  }

  static <T> T read(byte[] json, Class<T> type) throws IOException {
    T value = JSON.beanFrom(type, json);
    StrictJr.requireOneValue(json);
    return value;
  }

  static <T> List<T> readList(byte[] json, Class<T> type) throws IOException {
    List<T> value = JSON.listOfFrom(type, json);
    StrictJr.requireOneValue(json);
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
}
