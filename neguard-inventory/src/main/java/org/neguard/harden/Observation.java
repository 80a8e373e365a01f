package org.neguard.harden;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.OptBoolean;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.neguard.io.MachineId;

/**
 * Everything one inventory, scan or import saw of one host: the input of the evaluation against a
 * policy, and the raw port list of the evidence (HRD-2, HRD-3, HRD-6). It is also what the agent
 * will send to the server, so it is plain data with a stable JSON form ({@link ObservationCodec}).
 *
 * @param source how it was obtained: {@code inventory}, {@code scan} or {@code nmap-xml}
 * @param host the host examined (a name or address)
 * @param scanner the host that ran the examination
 * @param tool the tool and version that produced it ({@code NEGuard 0.1.0}, {@code nmap 7.93})
 * @param started when the examination started
 * @param finished when it ended
 * @param complete false when it was interrupted or a part could not run; an incomplete
 *     observation never passes an evaluation
 * @param parameters the settings actually used (port ranges, timeouts, retries, communities...)
 * @param ports every port found, in any state worth reporting (closed ones may be left out)
 * @param notes anything a reader should know (SCTP unavailable, ICMP rate limiting seen...)
 * @param protocolProbes the protocol-version requests a scan sent ({@link ProtocolProbe}); empty
 *     for an inventory or an nmap import. Optional in JSON, and left out when empty, so that
 *     observations written before it existed, and readers that predate it, keep working
 * @param machineId the examined machine's id ({@code /etc/machine-id}, {@link MachineId}) when
 *     {@code harden inventory} took it, else null; what proves an inventory to be this
 *     machine's, which a host name cannot (HRD-3: {@code harden check} uses this host's package
 *     database only then). Optional in JSON: absent in older inventories, in scans and imports,
 *     and in the agent's reports (servers that predate it refuse a field they do not know); left
 *     out when null
 */
public record Observation(
    String source,
    String host,
    String scanner,
    String tool,
    Instant started,
    Instant finished,
    boolean complete,
    Map<String, String> parameters,
    List<ObservedPort> ports,
    List<String> notes,
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JacksonInject(value = ObservationCodec.NO_PROTOCOL_PROBES, useInput = OptBoolean.TRUE)
    List<ProtocolProbe> protocolProbes,
    // Injected as null when absent: the strict codec refuses any other missing field.
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JacksonInject(value = ObservationCodec.NO_MACHINE_ID, useInput = OptBoolean.TRUE,
        optional = OptBoolean.TRUE)
    String machineId) {
  /** Parameter {@code interface.NAME}: that interface's addresses, comma-separated. */
  public static final String INTERFACE_PARAMETER = "interface.";

  /**
   * Parameter present when every interface of the host is recorded: an interface a policy names
   * that is not among them is known to have no address there.
   */
  public static final String INTERFACES_RECORDED = "interfaces";

  public Observation {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(started, "started");
    Objects.requireNonNull(finished, "finished");
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    ports = ports == null ? List.of() : List.copyOf(ports);
    notes = notes == null ? List.of() : List.copyOf(notes);
    protocolProbes = protocolProbes == null ? List.of() : List.copyOf(protocolProbes);
    if (machineId != null && !MachineId.valid(machineId)) {
      // Read from a file that feeds a security decision: a malformed id is refused, not dropped;
      // the value is not echoed (it may hold anything, a terminal's escapes too).
      throw new IllegalArgumentException("machineId must be 32 lower-case hexadecimal digits,"
          + " not all zero (a host's /etc/machine-id as 'harden inventory' records it); this one"
          + " has " + machineId.length() + " characters: take the inventory again");
    }
  }

  /** An observation without a machine id (a scan, an import, the agent's inventory). */
  public Observation(String source, String host, String scanner, String tool, Instant started,
      Instant finished, boolean complete, Map<String, String> parameters, List<ObservedPort> ports,
      List<String> notes, List<ProtocolProbe> protocolProbes) {
    this(source, host, scanner, tool, started, finished, complete, parameters, ports, notes,
        protocolProbes, null);
  }

  /** An observation without protocol-version probes (an inventory, an nmap import). */
  public Observation(String source, String host, String scanner, String tool, Instant started,
      Instant finished, boolean complete, Map<String, String> parameters, List<ObservedPort> ports,
      List<String> notes) {
    this(source, host, scanner, tool, started, finished, complete, parameters, ports, notes,
        List.of(), null);
  }

  /** This observation recording {@code id} as the examined machine's id (null: none). */
  public Observation withMachineId(String id) {
    return new Observation(source, host, scanner, tool, started, finished, complete, parameters,
        ports, notes, protocolProbes, id);
  }
}
