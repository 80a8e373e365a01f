package org.neguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** docs/FORMAT.md lists every reason code under its exit code, and only codes that exist. */
class ReasonCodeTableTest {
  private static final String TABLE =
      ReasonCodeTable.HEADING
          + "\n| exit | meaning |\n|---|---|\n| 0 | success |\n| 1 | an error: %s |\n"
          + "| 2 | bad usage |\n| 3 | a negative verdict: %s |\n\nWith `--json` ...\n";

  @Test
  void formatMd_listsEveryCodeUnderItsExit() {
    assertThat(ReasonCodeTable.problems(Docs.read("docs/FORMAT.md"))).isEmpty();
  }

  @Test
  void missingCode_reported() {
    String table = Docs.read("docs/FORMAT.md").replace("`PORTS_CHANGED`", "`PORTS`");
    assertThat(ReasonCodeTable.problems(table))
        .contains("PORTS_CHANGED (REFUSAL) is missing from the table");
  }

  @Test
  void unknownCode_reported() {
    String table = Docs.read("docs/FORMAT.md").replace("`INTERNAL`", "`INTERNAL`, `NO_SUCH_CODE`");
    assertThat(ReasonCodeTable.problems(table))
        .containsExactly("NO_SUCH_CODE (exit 1) is no ReasonCode");
  }

  @Test
  void codeUnderTheOtherKind_reported() {
    String table = TABLE.formatted("`INFECTED`", "`IO_ERROR`");
    assertThat(ReasonCodeTable.problems(table))
        .contains(
            "INFECTED is a refusal (exit 3), listed under exit 1",
            "IO_ERROR is an error (exit 1), listed under exit 3");
  }

  @Test
  void codeTwice_reported() {
    String table = TABLE.formatted("`IO_ERROR`", "`INFECTED`, `INFECTED`");
    assertThat(ReasonCodeTable.problems(table)).contains("INFECTED is listed twice");
  }
}
