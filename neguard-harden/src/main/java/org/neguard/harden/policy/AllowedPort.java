package org.neguard.harden.policy;

import java.util.List;
import java.util.Objects;

/**
 * One entry of an NE type's declared list (HRD-2): a port the NE may have open, the service on
 * it and why the NE needs it.
 *
 * @param key transport and port
 * @param service the service's name ({@code s1ap}, {@code ssh})
 * @param justification why the NE's operation needs it; shown in the evidence
 * @param reachableOn where the service may be reachable: IP addresses or CIDR prefixes. With
 *     {@code interfaces} both empty, anywhere. A port seen elsewhere is {@code WRONG_INTERFACE}
 *     (TS 33.117 §4.3.2.2)
 * @param interfaces network interfaces ({@code eth1}) the service may be reachable on; resolved
 *     to addresses with what the observation records of the host's interfaces
 * @param protocol the protocol versions the service may be offered in ({@code snmp v3 only}), or
 *     null when the policy does not restrict them
 */
public record AllowedPort(
    PortKey key, String service, String justification, List<AddressRange> reachableOn,
    List<String> interfaces, ProtocolRule protocol) {
  public AllowedPort {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(justification, "justification");
    reachableOn = reachableOn == null ? List.of() : List.copyOf(reachableOn);
    interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
  }

  /** An entry without a protocol-version restriction. */
  public AllowedPort(PortKey key, String service, String justification,
      List<AddressRange> reachableOn, List<String> interfaces) {
    this(key, service, justification, reachableOn, interfaces, null);
  }

  /** Whether the policy restricts where this service may be reachable. */
  public boolean restricted() {
    return !reachableOn.isEmpty() || !interfaces.isEmpty();
  }

  /** The allowed places, for messages: {@code 192.0.2.0/25, eth1}. */
  public String whereAllowed() {
    List<String> all = new java.util.ArrayList<>();
    reachableOn.forEach(r -> all.add(r.toString()));
    all.addAll(interfaces);
    return String.join(", ", all);
  }
}
