package org.neguard.evidence;

/** How one test case of an evidence document came out. */
public enum Outcome {
  /** Checked, and the requirement holds. */
  PASS,
  /** Checked, and the requirement does not hold. */
  FAIL,
  /** Could not be decided (a filtered port, an interrupted scan): never a pass. */
  INCONCLUSIVE,
  /** Not executed: this kind of run does not test the requirement. */
  NOT_TESTED,
  /** The test itself broke (the target did not answer, a tool failed): nothing was judged. */
  ERROR;

  /** Whether a pipeline that reads the evidence must stop: everything but PASS and NOT_TESTED. */
  public boolean blocks() {
    return this != PASS && this != NOT_TESTED;
  }
}
