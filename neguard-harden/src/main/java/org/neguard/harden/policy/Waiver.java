package org.neguard.harden.policy;

import java.util.Objects;

/**
 * The removal of a baseline rule, or of one of its ports, from an NE type's forbidden list. It
 * needs a reason, and the evidence shows it (HRD-5: operators may extend the list, never shrink
 * it silently).
 *
 * @param rule the baseline rule's id
 * @param port the one port of the rule waived, or null for the whole rule
 * @param reason why the NE type needs it; never blank
 * @param reference a change request, risk acceptance or ticket, or null
 */
public record Waiver(String rule, PortKey port, String reason, String reference) {
  public Waiver {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(reason, "reason");
    if (reason.isBlank()) {
      throw new IllegalArgumentException("waiver of '" + rule + "' has a blank reason");
    }
  }

  /** Whether this waiver lifts {@code ruleId} for {@code key}. */
  public boolean covers(String ruleId, PortKey key) {
    return rule.equals(ruleId) && (port == null || port.equals(key));
  }

  /** {@code telnet} or {@code telnet tcp/23}. */
  public String scope() {
    return port == null ? rule : rule + " " + port;
  }
}
