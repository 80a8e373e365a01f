package org.neguard.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Instant;

/**
 * One JSON object per line per event on stdout (journald keeps stdout): {@code ts}, {@code
 * event}, then the event's fields. Lines are written whole, one at a time.
 */
public final class AgentLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final PrintStream out;

  public AgentLog(PrintStream out) {
    this.out = out;
  }

  /** Logs {@code event} with fields given as name, value pairs (a null value is left out). */
  public void event(String event, Object... fields) {
    ObjectNode n = JSON.createObjectNode();
    n.put("ts", Instant.now().toString());
    n.put("event", event);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      Object v = fields[i + 1];
      if (v == null) {
        continue;
      }
      if (v instanceof Number num) {
        n.put((String) fields[i], num.longValue());
      } else if (v instanceof Boolean b) {
        n.put((String) fields[i], b);
      } else {
        n.put((String) fields[i], v.toString());
      }
    }
    synchronized (out) {
      out.println(n);
      out.flush();
    }
  }
}
