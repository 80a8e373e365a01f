package org.neguard.harden;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.InjectableValues;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
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

  private static final ObjectMapper MAPPER =
      StrictJson.builder()
          .addModule(StrictJson.instants())
          // Fields that came later: absent in JSON, protocolProbes is empty and a port's cpe and
          // the machine id null (the strict mapper refuses any other missing field), so agents
          // and files that predate them stay readable.
          .injectableValues(new InjectableValues.Std().addValue(NO_PROTOCOL_PROBES, List.of())
              .addValue(ObservedPort.CPE_ABSENT, null).addValue(NO_MACHINE_ID, null))
          .build();


  private ObservationCodec() {}

  /** Indented UTF-8 JSON ending in a newline. */
  public static byte[] encode(Observation observation) {
    try {
      return (MAPPER.writeValueAsString(observation) + "\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("an observation record always serializes", e);
    }
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
      Observation o = MAPPER.readValue(json, Observation.class);
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
