package org.neguard.harden;

/**
 * What a probe or the local inventory concluded about one port. Only {@link #OPEN} and {@link
 * #CLOSED} are conclusive; the other states must never be reported as either.
 */
public enum PortState {
  /** Something accepted a connection, answered a probe, or is listening in the inventory. */
  OPEN,
  /** Conclusively closed: a TCP reset, or an ICMP port-unreachable for UDP. */
  CLOSED,
  /** No answer at all where one was due: packets dropped on the way. */
  FILTERED,
  /** UDP without any answer: an open service that ignored the probe, or a dropped packet. */
  OPEN_FILTERED,
  /** Not examined, with the reason in {@link ObservedPort#evidence()} (no SCTP in the kernel). */
  NOT_CHECKED
}
