package org.neguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The README's traceability table has one row per requirement ID. */
class RequirementTableTest {
  private static final String TABLE =
      RequirementTable.HEADING
          + "\nText.\n\n| requirement | code | tests |\n|---|---|---|\n%s\n\nAfter.\n";

  @Test
  void readme_listsEachRequirementIdOnce() {
    assertThat(RequirementTable.problems(Docs.read("README.md"))).isEmpty();
  }

  @Test
  void idInTwoRows_reported() {
    String table = TABLE.formatted("| HRD-2 list | a | b |\n| HRD-1, HRD-2 more | c | d |");
    assertThat(RequirementTable.problems(table)).containsExactly("HRD-2 has more than one row");
  }

  @Test
  void rowWithoutId_reported() {
    String table = TABLE.formatted("| INT-1 validated | a | b |\n| HRD-1/4/5 live scan | c | d |");
    assertThat(RequirementTable.problems(table))
        .containsExactly("row \"HRD-1/4/5 live scan\" does not begin with a requirement ID");
  }

  @Test
  void wellFormedIds_pass() {
    String table =
        TABLE.formatted("| INT-1 validated | a | b |\n| OBJ-2, ATT-1, REC-4 | to come | |");
    assertThat(RequirementTable.problems(table)).isEmpty();
  }
}
