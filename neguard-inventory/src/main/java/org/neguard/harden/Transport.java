package org.neguard.harden;

/** The transport a port is open on. */
public enum Transport {
  TCP,
  UDP,
  SCTP
}
