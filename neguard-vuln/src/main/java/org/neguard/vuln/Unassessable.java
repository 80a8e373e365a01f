package org.neguard.vuln;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Components that could not be assessed, as findings a gate can hold a package for (issue 16,
 * docs/VULNERABILITIES.md "Components that cannot be assessed"): one finding of unknown
 * severity per SBOM component without a versioned package URL and per component the database
 * could not judge. Unknown severity reaches every threshold, so a gate that treats them so fails
 * closed; the finding's advisory id {@link #ADVISORY_ID} is what an approver's VEX statement
 * names to release it, with a justification or impact statement saying why the component may
 * be published unassessed (no product: every such component of the package; a package URL:
 * that component only). Stateless.
 */
public final class Unassessable {
  /** The vulnerability id of these findings, for VEX statements: no feed uses the prefix. */
  public static final String ADVISORY_ID = "NEGUARD-NOT-ASSESSED";
  /** {@link Finding#matchedBy()} of these findings. */
  public static final String MATCHED_BY = "not-assessed";
  /** The ecosystem given to an SBOM component that names none (it has no package URL). */
  public static final String NO_ECOSYSTEM = "unidentified";

  private Unassessable() {}

  /**
   * {@code a} with one finding appended per component it could not assess and per entry of
   * {@code unidentified} (the SBOM's components without a versioned package URL), in that
   * order after its own findings; {@link Assessment#notAssessed()} is kept as it was.
   */
  public static Assessment asFindings(Assessment a, List<CycloneDx.Unidentified> unidentified) {
    if (a.notAssessed().isEmpty() && unidentified.isEmpty()) {
      return a;
    }
    List<Finding> out = new ArrayList<>(a.findings());
    for (Assessment.NotAssessed n : a.notAssessed()) {
      out.add(finding(n.component(), n.reason()));
    }
    for (CycloneDx.Unidentified u : unidentified) {
      out.add(finding(new Component(NO_ECOSYSTEM, u.name(), u.version().orElse(""), "",
          Optional.empty(), Optional.empty()), u.reason()));
    }
    return new Assessment(out, a.feeds(), a.method() + "; components that could not be"
        + " assessed count as findings of unknown severity (" + ADVISORY_ID + ")",
        a.components(), a.assessed(), a.notAssessed());
  }

  /** Whether {@code f} stands for a component that could not be assessed. */
  public static boolean is(Finding f) {
    return ADVISORY_ID.equals(f.advisoryId()) && MATCHED_BY.equals(f.matchedBy());
  }

  private static Finding finding(Component c, String reason) {
    String why = reason.length() > 300 ? reason.substring(0, 300) + "…" : reason;
    return new Finding(ADVISORY_ID, List.of(), "not assessed: " + why, Severity.UNKNOWN,
        Optional.empty(), c, "unknown", Optional.empty(), List.of(), MATCHED_BY,
        Optional.empty());
  }
}
