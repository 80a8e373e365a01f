package org.neguard.harden;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.OptBoolean;
import java.util.List;
import java.util.Objects;

/**
 * One port as seen by the local inventory, a remote scan or an imported nmap report.
 *
 * @param transport TCP, UDP or SCTP
 * @param address the local address it listens on (inventory: {@code 0.0.0.0}, {@code ::}, a
 *     specific address) or the scanned target address
 * @param port 1..65535
 * @param state what was concluded
 * @param service the identified service ({@code ssh}, {@code ftp}, {@code snmp}...), or null
 * @param evidence what the identification rests on (a banner, a reply), or why not checked; may
 *     be null
 * @param process the owning process (inventory only), or null
 * @param snmp results of the SNMP write probe on this port; empty when not probed
 * @param cpe the product and version the service revealed to identification, as a CPE name
 *     ({@code cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*}, or the CPE 2.2 URI nmap prints), or
 *     null; remote findings are matched through it (HRD-3). Optional in JSON: observations
 *     written before it existed still read, and it is left out when null so that readers
 *     deployed before it (the server's drift check) still read what new agents send
 */
public record ObservedPort(
    Transport transport,
    String address,
    int port,
    PortState state,
    String service,
    String evidence,
    ProcessInfo process,
    List<SnmpAccess> snmp,
    // Injected as null when absent: the strict codec refuses any other missing field.
    @JacksonInject(value = ObservedPort.CPE_ABSENT, useInput = OptBoolean.TRUE,
        optional = OptBoolean.TRUE)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    String cpe) {
  /** The injectable id {@link ObservationCodec} maps to null for an observation without cpe. */
  static final String CPE_ABSENT = "org.neguard.harden.ObservedPort.cpe";

  /** A port without a CPE (the form every observation had before identification gave CPEs). */
  public ObservedPort(Transport transport, String address, int port, PortState state,
      String service, String evidence, ProcessInfo process, List<SnmpAccess> snmp) {
    this(transport, address, port, state, service, evidence, process, snmp, null);
  }

  public ObservedPort {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
    snmp = snmp == null ? List.of() : List.copyOf(snmp);
    if (cpe != null && (cpe.isBlank() || cpe.length() > 512 || !cpe.startsWith("cpe:"))) {
      throw new IllegalArgumentException("cpe must be a CPE name (cpe:2.3:... or cpe:/...),"
          + " at most 512 characters: " + cpe);
    }
  }

  /** This port with the CPE identification found for it. */
  public ObservedPort withCpe(String cpe) {
    return new ObservedPort(transport, address, port, state, service, evidence, process, snmp,
        cpe);
  }

  /** Whether an SNMP community with write access was found here. */
  public boolean snmpWritable() {
    return snmp.stream().anyMatch(s -> s.access() == SnmpAccess.Access.WRITE);
  }
}
