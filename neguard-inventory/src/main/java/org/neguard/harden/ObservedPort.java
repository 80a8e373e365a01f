package org.neguard.harden;

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
 */
public record ObservedPort(
    Transport transport,
    String address,
    int port,
    PortState state,
    String service,
    String evidence,
    ProcessInfo process,
    List<SnmpAccess> snmp) {
  public ObservedPort {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + port);
    }
    snmp = snmp == null ? List.of() : List.copyOf(snmp);
  }

  /** Whether an SNMP community with write access was found here. */
  public boolean snmpWritable() {
    return snmp.stream().anyMatch(s -> s.access() == SnmpAccess.Access.WRITE);
  }
}
