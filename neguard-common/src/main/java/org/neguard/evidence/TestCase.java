package org.neguard.evidence;

import java.util.List;
import java.util.Objects;

/**
 * One test case of an evidence document, in the SCAS shape of 3GPP TS 33.117: what it verifies,
 * the procedure as executed, the expected and the actual result, and the outcome.
 *
 * @param id {@code TC-SRC1-02}, {@code TC_BVT_PORT_SCANNING} or a requirement ID
 * @param requirements the requirement IDs it covers
 * @param title the test's name
 * @param outcome how it came out
 * @param reference the clause it implements ({@code 3GPP TS 33.117 §4.4.2}), or null
 * @param purpose what it verifies, or null
 * @param procedure the steps as executed; a step that starts with two spaces details the one
 *     before it (a parameter, a command line)
 * @param expected the expected result
 * @param actual the actual result, as observed
 * @param details what bears on the outcome beyond {@code actual}: discrepancies, observed lines
 */
public record TestCase(
    String id,
    List<String> requirements,
    String title,
    Outcome outcome,
    String reference,
    String purpose,
    List<String> procedure,
    String expected,
    String actual,
    List<String> details) {
  public TestCase {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(outcome, "outcome");
    requirements = List.copyOf(requirements);
    procedure = List.copyOf(procedure);
    details = List.copyOf(details);
  }

  /** A test case that covers one requirement, has one procedure step and no details. */
  public static TestCase of(String id, String requirement, String title, String purpose,
      String procedure, String expected, String actual, boolean pass) {
    return new TestCase(id, List.of(requirement), title, pass ? Outcome.PASS : Outcome.FAIL,
        null, purpose, List.of(procedure), expected, actual, List.of());
  }
}
