package org.neguard.harden.eval;

import java.util.Objects;

/**
 * The verdict on one requirement, with what was expected and what was found (TS 33.117's
 * "expected result" and the actual result).
 *
 * @param id {@code HRD-1} .. {@code HRD-6}
 * @param title the requirement in a line
 * @param verdict the verdict
 * @param expected what must hold
 * @param actual what was found
 */
public record RequirementResult(
    String id, String title, Verdict verdict, String expected, String actual) {
  public RequirementResult {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(verdict, "verdict");
  }
}
