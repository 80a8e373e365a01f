package org.neguard.agent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One JSON object per line per event on stdout (journald keeps stdout): {@code ts}, {@code
 * event}, then the event's fields. Lines are written whole, one at a time. Written with
 * Jackson's streaming generator, not its data binding, which an idle agent does not load
 * (docs/AGENT.md "Footprint").
 */
public final class AgentLog {
  private static final JsonFactory JSON = new JsonFactory();
  private final PrintStream out;

  public AgentLog(PrintStream out) {
    this.out = out;
  }

  /** Logs {@code event} with fields given as name, value pairs (a null value is left out). */
  public void event(String event, Object... fields) {
    String line = line(Instant.now(), event, fields);
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  static String line(Instant ts, String event, Object... fields) {
    StringWriter w = new StringWriter(128);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      g.writeStringField("ts", ts.toString());
      g.writeStringField("event", event);
      for (int i = 0; i + 1 < fields.length; i += 2) {
        Object v = fields[i + 1];
        if (v == null) {
          continue;
        }
        g.writeFieldName((String) fields[i]);
        if (v instanceof Number num) {
          g.writeNumber(num.longValue());
        } else if (v instanceof Boolean b) {
          g.writeBoolean(b);
        } else {
          g.writeString(v.toString());
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    return w.toString();
  }
}
