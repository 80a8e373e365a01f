package org.neguard.harden.probe;

/**
 * Told how far a scan has come, phase by phase ({@code tcp}, {@code services}, {@code udp},
 * {@code snmp}, {@code sctp}). Called from the scanning threads: implementations must be
 * thread-safe and quick.
 */
@FunctionalInterface
public interface ScanListener {
  /** Does nothing. */
  ScanListener NONE = (phase, done, total) -> {};

  void progress(String phase, long done, long total);
}
