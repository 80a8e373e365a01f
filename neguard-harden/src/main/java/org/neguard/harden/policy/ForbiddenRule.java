package org.neguard.harden.policy;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of the forbidden list (HRD-5): the built-in baseline or an operator's extension.
 *
 * @param id stable identifier that waivers and reports use ({@code telnet}, {@code snmp-write})
 * @param title what is forbidden, for people ({@code Telnet, remote telnet})
 * @param kind how the rule matches
 * @param ports the ports the rule forbids; for {@link Kind#SNMP_WRITE}, the SNMP ports that must
 *     have been probed for write access
 * @param serviceNames identified service names the rule forbids on any port (lower case); empty
 *     for operator extensions, which match by port only
 * @param origin baseline or operator
 * @param source where the rule comes from ({@code seed 003 R5}, or the policy file)
 * @param why the reasons for the transports chosen, or the operator's reason
 */
public record ForbiddenRule(
    String id,
    String title,
    Kind kind,
    List<PortKey> ports,
    Set<String> serviceNames,
    Origin origin,
    String source,
    String why) {
  /** How a rule matches an observed port. */
  public enum Kind {
    /** Any listener on one of the ports, or a service identified by one of the names. */
    PORT,
    /**
     * An SNMPv1 or SNMPv2c community with write (SET) permission, found by the write probe on
     * any port; an SNMP port without a probe result cannot pass.
     */
    SNMP_WRITE
  }

  /** Where a rule comes from. */
  public enum Origin {
    BASELINE,
    OPERATOR
  }

  public ForbiddenRule {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(origin, "origin");
    ports = List.copyOf(ports);
    serviceNames = serviceNames == null ? Set.of() : Set.copyOf(serviceNames);
  }

  /** Whether the rule forbids this port outright (by number, regardless of the service). */
  public boolean forbidsPort(PortKey key) {
    return kind == Kind.PORT && ports.contains(key);
  }

  /** Whether the rule forbids a service identified by this name on any port. */
  public boolean forbidsServiceName(String service) {
    return kind == Kind.PORT && names(service);
  }

  /**
   * Whether a port must be judged by this rule: one of its ports, or a service of its names
   * (for {@link Kind#SNMP_WRITE}: a port where SNMP must have been probed for write access).
   */
  public boolean concerns(PortKey key, String service) {
    return ports.contains(key) || names(service);
  }

  private boolean names(String service) {
    return service != null && serviceNames.contains(service.toLowerCase(Locale.ROOT));
  }
}
