package org.neguard.verdict.violation;

import org.neguard.pkg.Manifest;

/** A deliberate violation: the common module using the package format. Never imported as product. */
public final class CommonUsesPkg {
  private CommonUsesPkg() {}

  static String name(Manifest manifest) {
    return manifest.toString();
  }
}
