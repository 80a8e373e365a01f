package org.neguard.harden.eval;

/** What the evaluation concluded about one observed port. */
public enum PortStatus {
  /** Open, declared, and on an allowed address. */
  ALLOWED,
  /** Open and forbidden (HRD-5), with the rule. */
  FORBIDDEN,
  /** Open and not on the declared list (HRD-1, HRD-4): remove it or declare it. */
  UNDECLARED,
  /** Declared, but open on an address the policy does not allow (TS 33.117 §4.3.2.2). */
  WRONG_INTERFACE,
  /** Filtered, open|filtered, not checked, or an SNMP port without a write probe. */
  INCONCLUSIVE,
  /** Conclusively closed. */
  CLOSED
}
