package org.neguard.architecture;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.verdict.ReasonCode;

/**
 * docs/FORMAT.md's "Reason codes and exit codes" table against {@link ReasonCode}: a code's row is
 * its exit code, 1 for an {@code ERROR} and 3 for a {@code REFUSAL}; rows 0 and 2 name no code.
 */
final class ReasonCodeTable {
  static final String HEADING = "## Reason codes and exit codes";
  private static final Pattern CODE =
      Pattern.compile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})`");

  private ReasonCodeTable() {}

  /** What the table gets wrong, one line each; empty when it matches the enum. */
  static List<String> problems(String formatMd) {
    List<String> problems = new ArrayList<>();
    Map<ReasonCode, String> rowOf = new EnumMap<>(ReasonCode.class);
    for (List<String> row : Docs.tableUnder(formatMd, HEADING)) {
      String exit = row.get(0);
      Matcher codes = CODE.matcher(String.join(" ", row.subList(1, row.size())));
      while (codes.find()) {
        String name = codes.group(1);
        ReasonCode code = find(name);
        if (code == null) {
          problems.add(name + " (exit " + exit + ") is no ReasonCode");
          continue;
        }
        String expected = code.kind() == ReasonCode.Kind.ERROR ? "1" : "3";
        if (!exit.equals(expected)) {
          String kind = code.kind() == ReasonCode.Kind.ERROR ? "an error" : "a refusal";
          problems.add(
              name + " is " + kind + " (exit " + expected + "), listed under exit " + exit);
        }
        if (rowOf.put(code, exit) != null) {
          problems.add(name + " is listed twice");
        }
      }
    }
    for (ReasonCode code : ReasonCode.values()) {
      if (!rowOf.containsKey(code)) {
        problems.add(code + " (" + code.kind() + ") is missing from the table");
      }
    }
    return problems;
  }

  private static ReasonCode find(String name) {
    for (ReasonCode code : ReasonCode.values()) {
      if (code.name().equals(name)) {
        return code;
      }
    }
    return null;
  }
}
