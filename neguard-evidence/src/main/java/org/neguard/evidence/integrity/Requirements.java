package org.neguard.evidence.integrity;

import java.util.Map;

/**
 * The texts of the requirements the integrity evidence covers, as ../shared/REQUIREMENTS.md
 * states them (the question and the answer the project gives, for REC-1..4), so a certifier
 * reads the claim beside its proof.
 */
final class Requirements {
  private Requirements() {}

  static final Map<String, String> TEXT = Map.of(
      "OBJ-2", "Software integrity is maintained on the NE: not only at install time, but while"
          + " it runs.",
      "ATT-1", "Before an update, the OAM asks the PVE to verify the NE's integrity; the PVE"
          + " checks it and returns the result; the OAM proceeds only if it is good.",
      "ATT-2", "The OAM computes the expected reference integrity metric (RIM) of the NE after"
          + " the update, and the RIM of the new software.",
      "ATT-3", "During the update the OAM sends the new software's RIM to the NE; after"
          + " installing, the NE re-measures itself into a target integrity metric (TIM),"
          + " computes the expected TIM from the received RIM and its old TIM, and compares them"
          + " to prove the install is correct (policy-dependent).",
      "ATT-4", "The NE reports completion with its current TIM; the OAM compares it with the"
          + " expected value; on a match it updates its stored RIM for the NE, otherwise it"
          + " takes appropriate measures.",
      "REC-1", "If an NE's integrity is broken, how is it recovered without a site visit?"
          + " Defined, automatic measures: quarantine, rollback to the last known-good"
          + " software, re-install of a signed known-good package, and re-validation.",
      "REC-2", "If many NEs are compromised at once (one OS weakness, many devices), how are"
          + " they all recovered? Fleet-wide recovery campaigns in waves, with limits and"
          + " progress, that survive server restarts.",
      "REC-3", "How is the security status checked the first time, before any reference exists"
          + " for the NE? Enrollment that validates a new NE against the vendor's signed"
          + " reference for its shipped software before it is trusted.",
      "REC-4", "The expected TIM must not be derived from what a possibly compromised NE says;"
          + " old and new TIM legitimately differ. The OAM/PVE computes expectations"
          + " independently from signed references, per component, so a mismatch names what"
          + " differs.");
}
