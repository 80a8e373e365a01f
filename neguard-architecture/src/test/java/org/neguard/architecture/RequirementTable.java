package org.neguard.architecture;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The README's requirement traceability table: each row begins with the requirement IDs it covers
 * (comma-separated), and each ID has one row, so that the row is where to look.
 */
final class RequirementTable {
  static final String HEADING = "## Requirement traceability";
  /** The IDs of the requirements list: an upper-case area and a number (INT-2, HRD-5, AV-1). */
  static final Pattern ID = Pattern.compile("[A-Z]{2,4}-[1-9][0-9]*");
  private static final Pattern LEADING_IDS =
      Pattern.compile("^(" + ID + "(?:, " + ID + ")*)(?=[ ,]|$)");

  private RequirementTable() {}

  /** What the table gets wrong, one line each; empty when every ID is well-formed and once. */
  static List<String> problems(String readme) {
    List<String> problems = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (List<String> row : Docs.tableUnder(readme, HEADING)) {
      String first = row.get(0);
      Matcher ids = LEADING_IDS.matcher(first);
      if (!ids.find()) {
        problems.add("row \"" + first + "\" does not begin with a requirement ID");
        continue;
      }
      for (String id : ids.group(1).split(", ")) {
        if (!seen.add(id)) {
          problems.add(id + " has more than one row");
        }
      }
    }
    return problems;
  }
}
