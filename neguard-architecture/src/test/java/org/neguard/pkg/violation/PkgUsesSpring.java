package org.neguard.pkg.violation;

import org.springframework.util.StringUtils;

/** A deliberate violation: Spring outside the server. */
public final class PkgUsesSpring {
  private PkgUsesSpring() {}

  static boolean blank(String text) {
    return !StringUtils.hasText(text);
  }
}
