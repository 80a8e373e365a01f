package org.neguard.av.violation.two;

import org.neguard.av.violation.one.CycleOne;

/** A deliberate violation: two packages that use each other (with {@link CycleOne}). */
public final class CycleTwo {
  private CycleTwo() {}

  static String name(CycleOne other) {
    return String.valueOf(other);
  }
}
