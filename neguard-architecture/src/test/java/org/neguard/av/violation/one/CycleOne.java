package org.neguard.av.violation.one;

import org.neguard.av.violation.two.CycleTwo;

/** A deliberate violation: two packages that use each other (with {@link CycleTwo}). */
public final class CycleOne {
  private CycleOne() {}

  static String name(CycleTwo other) {
    return String.valueOf(other);
  }
}
