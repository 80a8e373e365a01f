package org.neguard.api.device;

import java.util.List;

/**
 * The server's judgement of a device's socket inventory ({@code POST /api/device/v1/inventory},
 * port drift, HRD-1, HRD-4), against the current hardening policy of the device's NE type.
 *
 * @param verdict {@code PASS}, {@code FAIL}, {@code INCONCLUSIVE} (the inventory was incomplete,
 *     or a port could not be decided), or {@code NO_POLICY}: no policy is uploaded for the NE
 *     type, so nothing was judged (never read as a pass)
 * @param neType the device's NE type
 * @param policyVersion the policy version applied, or null with {@code NO_POLICY}
 * @param policySha256 SHA-256 of that policy's bytes, or null
 * @param undeclared the listening sockets the policy does not allow (undeclared or forbidden):
 *     what an agent's enforce mode blocks; empty with {@code NO_POLICY}
 * @param open every finding still open on the device after this inventory
 * @param opened the findings this inventory opened
 * @param resolved the findings this inventory resolved
 * @param messages what the evaluation said, most serious first, each with what to do
 */
public record InventoryVerdict(String verdict, String neType, Integer policyVersion,
    String policySha256, List<ListeningPort> undeclared, List<DriftFinding> open,
    List<DriftFinding> opened, List<DriftFinding> resolved, List<String> messages) {
  public static final String PASS = "PASS";
  public static final String FAIL = "FAIL";
  public static final String INCONCLUSIVE = "INCONCLUSIVE";
  public static final String NO_POLICY = "NO_POLICY";
  /**
   * Not a judgement the server answers but what {@link DeviceDrift#lastVerdict()} says of a
   * device whose last report was refused (too large, malformed): never read as a pass.
   */
  public static final String REFUSED = "REFUSED";

  public InventoryVerdict {
    undeclared = undeclared == null ? List.of() : List.copyOf(undeclared);
    open = open == null ? List.of() : List.copyOf(open);
    opened = opened == null ? List.of() : List.copyOf(opened);
    resolved = resolved == null ? List.of() : List.copyOf(resolved);
    messages = messages == null ? List.of() : List.copyOf(messages);
  }
}
