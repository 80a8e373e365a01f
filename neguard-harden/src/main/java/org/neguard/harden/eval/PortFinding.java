package org.neguard.harden.eval;

import java.util.Objects;
import java.util.Set;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.policy.PortKey;
import org.neguard.verdict.Reason;

/**
 * The evaluation of one observed port.
 *
 * @param port the port as observed
 * @param status what it means against the policy
 * @param rule the forbidden rule involved ({@code telnet}), or null
 * @param declaredService the service the policy declares on this port, or null
 * @param requirements the requirement IDs this finding counts against (empty: it counts against
 *     none)
 * @param reason why it fails or is inconclusive, with what to do; null for ALLOWED and CLOSED
 *     and for inconclusive states of declared ports, which decide nothing
 * @param note a remark for the evidence (a waiver applied, the state unconfirmed), or null
 */
public record PortFinding(
    ObservedPort port,
    PortStatus status,
    String rule,
    String declaredService,
    Set<String> requirements,
    Reason reason,
    String note) {
  public PortFinding {
    Objects.requireNonNull(port, "port");
    Objects.requireNonNull(status, "status");
    requirements = Set.copyOf(requirements);
  }

  /** {@code tcp/22}. */
  public PortKey key() {
    return new PortKey(port.transport(), port.port());
  }

  /** Whether this finding is a discrepancy the evidence must highlight. */
  public boolean discrepancy() {
    return reason != null;
  }
}
