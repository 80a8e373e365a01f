package org.neguard.verdict.violation;

import org.neguard.pkg.Manifest;

/** A deliberate violation: the common module using the package format. */
public final class CommonUsesPkg {
  private CommonUsesPkg() {}

  static String name(Manifest manifest) {
    return manifest.toString();
  }
}
