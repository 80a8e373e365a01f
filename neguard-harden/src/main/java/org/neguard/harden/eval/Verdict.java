package org.neguard.harden.eval;

/** The verdict on one requirement, one test case, or a whole evaluation. */
public enum Verdict {
  /** Checked, and it holds. */
  PASS,
  /** Checked, and it does not hold. */
  FAIL,
  /** Could not be decided (a port filtered, not checked, an interrupted scan): never a pass. */
  INCONCLUSIVE,
  /** This kind of observation does not test the requirement (a local inventory is no scan). */
  NOT_TESTED;

  /** The worse of two verdicts: FAIL over INCONCLUSIVE over PASS; NOT_TESTED counts for none. */
  public Verdict and(Verdict other) {
    if (this == NOT_TESTED) {
      return other;
    }
    if (other == NOT_TESTED) {
      return this;
    }
    return rank() >= other.rank() ? this : other;
  }

  /** The same verdict as an evidence document's outcome. */
  public org.neguard.evidence.Outcome outcome() {
    return org.neguard.evidence.Outcome.valueOf(name());
  }

  private int rank() {
    return switch (this) {
      case PASS, NOT_TESTED -> 0;
      case INCONCLUSIVE -> 1;
      case FAIL -> 2;
    };
  }
}
