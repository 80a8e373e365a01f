package org.neguard.harden.violation;

import org.neguard.av.ScanRunner;

/** A deliberate violation: the hardening audit using the anti-virus engines. */
public final class HardenUsesEngines {
  private HardenUsesEngines() {}

  static String name(ScanRunner runner) {
    return runner.toString();
  }
}
