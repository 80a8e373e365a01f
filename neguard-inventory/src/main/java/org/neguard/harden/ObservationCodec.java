package org.neguard.harden;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.InjectableValues;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.neguard.json.StrictJson;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The JSON form of an {@link Observation}: what {@code harden inventory --json} and {@code harden
 * scan --json} print, what {@code harden check --inventory FILE} reads, and what the agent sends.
 * Reading is strict (unknown fields, duplicate keys, missing fields are refused), because the
 * result feeds a security verdict.
 *
 * <p>Thread-safe.
 */
public final class ObservationCodec {
  /** The injectable default of {@link Observation#protocolProbes()} when JSON has none. */
  static final String NO_PROTOCOL_PROBES = "neguard.observation.noProtocolProbes";
  /** The injectable default of {@link Observation#machineId()} when JSON has none: null. */
  static final String NO_MACHINE_ID = "neguard.observation.noMachineId";

  /**
   * The strict reader, made at the first decode: the NE agent only encodes, and an idle agent
   * does not load Jackson's data binding (docs/AGENT.md "Footprint").
   */
  private static final class Reader {
    static final ObjectMapper MAPPER =
        StrictJson.builder()
            .addModule(StrictJson.instants())
            // Fields that came later: absent in JSON, protocolProbes is empty and a port's cpe
            // and the machine id null (the strict mapper refuses any other missing field), so
            // agents and files that predate them stay readable.
            .injectableValues(new InjectableValues.Std().addValue(NO_PROTOCOL_PROBES, List.of())
                .addValue(ObservedPort.CPE_ABSENT, null).addValue(NO_MACHINE_ID, null))
            .build();
  }

  private static final JsonFactory WRITER = new JsonFactory();

  private ObservationCodec() {}

  /** Indented UTF-8 JSON ending in a newline. */
  public static byte[] encode(Observation observation) {
    // Through a Writer, as the data binding wrote it: the byte generator would escape a character
    // beyond the BMP (an emoji in a process name) as two \\u escapes instead of writing it.
    StringWriter out = new StringWriter(4096);
    try (JsonGenerator g = WRITER.createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      write(g, observation);
    } catch (IOException e) {
      throw new UncheckedIOException("a StringWriter does not fail", e);
    }
    out.write('\n');
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Field by field in the records' order, nulls written (the strict reader wants every field),
   * as Jackson's data binding with the strict mapper's settings wrote it before
   * (ObservationCodecTest compares the two), except that the parameters are in key order.
   */
  private static void write(JsonGenerator g, Observation o) throws IOException {
    g.writeStartObject();
    g.writeStringField("source", o.source());
    g.writeStringField("host", o.host());
    g.writeStringField("scanner", o.scanner());
    g.writeStringField("tool", o.tool());
    g.writeStringField("started", o.started().toString());
    g.writeStringField("finished", o.finished().toString());
    g.writeBooleanField("complete", o.complete());
    g.writeObjectFieldStart("parameters");
    for (Map.Entry<String, String> p : new TreeMap<>(o.parameters()).entrySet()) {
      g.writeStringField(p.getKey(), p.getValue());
    }
    g.writeEndObject();
    g.writeArrayFieldStart("ports");
    for (ObservedPort p : o.ports()) {
      write(g, p);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("notes");
    for (String n : o.notes()) {
      g.writeString(n);
    }
    g.writeEndArray();
    if (!o.protocolProbes().isEmpty()) {
      g.writeArrayFieldStart("protocolProbes");
      for (ProtocolProbe p : o.protocolProbes()) {
        g.writeStartObject();
        g.writeStringField("protocol", p.protocol());
        g.writeStringField("transport", p.transport().name());
        g.writeNumberField("port", p.port());
        g.writeStringField("version", p.version());
        g.writeStringField("request", p.request());
        g.writeStringField("result", p.result().name());
        g.writeStringField("detail", p.detail());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (o.machineId() != null) {
      g.writeStringField("machineId", o.machineId());
    }
    g.writeEndObject();
  }

  private static void write(JsonGenerator g, ObservedPort p) throws IOException {
    g.writeStartObject();
    g.writeStringField("transport", p.transport().name());
    g.writeStringField("address", p.address());
    g.writeNumberField("port", p.port());
    g.writeStringField("state", p.state().name());
    g.writeStringField("service", p.service());
    g.writeStringField("evidence", p.evidence());
    if (p.process() == null) {
      g.writeNullField("process");
    } else {
      ProcessInfo i = p.process();
      g.writeObjectFieldStart("process");
      g.writeNumberField("pid", i.pid());
      g.writeStringField("name", i.name());
      g.writeStringField("executable", i.executable());
      g.writeStringField("user", i.user());
      g.writeEndObject();
    }
    g.writeArrayFieldStart("snmp");
    for (SnmpAccess a : p.snmp()) {
      g.writeStartObject();
      g.writeStringField("version", a.version());
      g.writeStringField("community", a.community());
      g.writeStringField("access", a.access().name());
      g.writeStringField("detail", a.detail());
      g.writeEndObject();
    }
    g.writeEndArray();
    if (p.cpe() != null) {
      g.writeStringField("cpe", p.cpe());
    }
    g.writeEndObject();
  }


  /** The largest observation file {@link #read} accepts. */
  public static final int MAX_BYTES = 64 << 20;

  /**
   * Reads an observation file (an inventory or a scan), no further than {@link #MAX_BYTES}.
   *
   * @throws RefusalException {@code BAD_INPUT}, naming the file, when it is too large or not an
   *     observation
   * @throws IOException when the file cannot be read
   */
  public static Observation read(Path file) throws RefusalException, IOException {
    byte[] json = BoundedRead.atMost(file, MAX_BYTES);
    if (json.length > MAX_BYTES) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, file.toString(),
          file + " is more than an observation can be (" + MAX_BYTES + " bytes)");
    }
    try {
      return decode(json);
    } catch (RefusalException ex) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, file.toString(),
          file + ": " + ex.reasons().get(0).message());
    }
  }

  /**
   * Parses an observation.
   *
   * @throws RefusalException {@code BAD_INPUT} naming the line and column of the first problem
   */
  public static Observation decode(byte[] json) throws RefusalException {
    try {
      Observation o = Reader.MAPPER.readValue(json, Observation.class);
      if (o == null) {
        throw new RefusalException(ReasonCode.BAD_INPUT, "observation is empty: expected a JSON object");
      }
      return o;
    } catch (UnrecognizedPropertyException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "unknown field '" + e.getPropertyName() + "' at " + where(e) + ": remove it");
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      String msg = cause instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : cause.getMessage();
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "observation is not valid at " + where(e) + ": " + msg);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "observation is unreadable: " + e.getMessage());
    }
  }

  private static String where(JsonProcessingException e) {
    return e.getLocation() == null
        ? "an unknown position"
        : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
  }
}
