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
 * @param reachableOn where the service may be reachable (IP addresses or CIDR prefixes); empty
 *     means anywhere. A port seen on another address is {@code WRONG_INTERFACE} (TS 33.117
 *     §4.3.2.2)
 */
public record AllowedPort(
    PortKey key, String service, String justification, List<AddressRange> reachableOn) {
  public AllowedPort {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(justification, "justification");
    reachableOn = reachableOn == null ? List.of() : List.copyOf(reachableOn);
  }

  /** Whether the policy restricts where this service may be reachable. */
  public boolean restricted() {
    return !reachableOn.isEmpty();
  }
}
