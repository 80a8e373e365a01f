package org.neguard.harden.policy;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.neguard.harden.Transport;

/**
 * An allowed service restricted to some of its protocol versions (seed 003: "forbidding early
 * versions of it"), written on an {@code allowed} entry as {@code protocol: {versions: [v3]}}.
 * Every other version of the protocol must not be served: SNMP allowed as v3 only means that
 * SNMPv1 and SNMPv2c get no answer at all, read or write; NFS as v4 only means that NFSv2 and
 * NFSv3 calls are not accepted and no separate mountd is registered or answers. Only protocols the
 * NEGuard scan can probe have versions here (docs/HARDENING.md, "Protocol versions").
 *
 * @param protocol {@code snmp} or {@code nfs}: the entry's service
 * @param versions the versions allowed, in the protocol's order; never all of them
 */
public record ProtocolRule(String protocol, List<String> versions) {
  /** A protocol the scan can probe: its versions in order, and the transports it is declared on. */
  record Known(List<String> versions, Set<Transport> transports, String why) {}

  private static final Map<String, Known> KNOWN = Map.of(
      // SNMP over UDP (RFC 3417), where agents listen, and over TCP (RFC 3430): the version probe
      // speaks both, and the rule on either entry judges the probes of both on that port.
      "snmp", new Known(List.of("v1", "v2c", "v3"), Set.of(Transport.UDP, Transport.TCP),
          "the SNMP version probe runs over UDP (RFC 3417) and TCP (RFC 3430)"),
      // NFSv4 runs over TCP only (RFC 7530 section 3.1); v2/v3 are probed on UDP as well.
      "nfs", new Known(List.of("v2", "v3", "v4"), Set.of(Transport.TCP),
          "NFSv4 runs over TCP only (RFC 7530 section 3.1); v2 and v3 are probed on UDP too"));

  public ProtocolRule {
    Objects.requireNonNull(protocol, "protocol");
    versions = List.copyOf(versions);
    Known k = KNOWN.get(protocol);
    if (k == null || versions.isEmpty() || !k.versions().containsAll(versions)
        || versions.size() >= k.versions().size()) {
      throw new IllegalArgumentException("not a protocol rule: " + protocol + " " + versions);
    }
  }

  /** The protocols whose versions can be restricted, with their versions. */
  static Optional<Known> known(String protocol) {
    return Optional.ofNullable(KNOWN.get(protocol));
  }

  /** The names {@link #known} accepts, sorted, for messages. */
  static List<String> protocols() {
    return KNOWN.keySet().stream().sorted().toList();
  }

  /** The versions of the protocol that must not be served. */
  public List<String> forbiddenVersions() {
    return KNOWN.get(protocol).versions().stream().filter(v -> !versions.contains(v)).toList();
  }

  /** {@code snmp v3 only}, {@code nfs v3, v4 only}. */
  public String describe() {
    return protocol + " " + String.join(", ", versions) + " only";
  }
}
