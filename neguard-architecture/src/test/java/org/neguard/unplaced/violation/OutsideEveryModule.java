package org.neguard.unplaced.violation;

/** A deliberate violation: a package of ours that no module of the table holds. */
public final class OutsideEveryModule {
  private OutsideEveryModule() {}
}
