package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command line a run builds (issue 17, start-up): only the branch it names, yet the same
 * usage, errors and help as the whole tree.
 */
class CommandTreeTest {
  private static String[] run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setUsageHelpWidth(100);
    int exit = cl.execute(args);
    return new String[] {String.valueOf(exit), out.toString(), err.toString()};
  }

  @Test
  @DisplayName("'pkg verify ...' builds pkg with verify alone, and nothing else")
  void namedBranch_buildsThatBranchOnly() {
    CommandLine cl = Main.newCommandLine("pkg", "verify", "x.ngp", "--trust", "ca.pem");
    assertThat(cl.getSubcommands()).containsOnlyKeys("pkg");
    assertThat(cl.getSubcommands().get("pkg").getSubcommands()).containsOnlyKeys("verify");
    CommandLine nested = Main.newCommandLine("repo", "root", "sign");
    assertThat(nested.getSubcommands().get("repo").getSubcommands()).containsOnlyKeys("root");
    assertThat(nested.getSubcommands().get("repo").getSubcommands().get("root").getSubcommands())
        .containsOnlyKeys("sign");
  }

  @Test
  @DisplayName("a mistyped subcommand, or options before it, build the whole group")
  void otherArguments_buildTheWholeGroup() {
    assertThat(Main.newCommandLine("pkg", "verfy").getSubcommands().get("pkg").getSubcommands())
        .containsKeys("build", "scan", "sign", "verify", "vulns");
    assertThat(Main.newCommandLine("pkg", "--help").getSubcommands().get("pkg").getSubcommands())
        .hasSizeGreaterThan(10);
    // A group with a parameter of its own: a device named like a subcommand stays possible.
    assertThat(Main.newCommandLine("attest", "status").getSubcommands().get("attest")
        .getSubcommands()).containsKeys("status", "history", "baseline", "policy", "readmit");
  }

  @Test
  @DisplayName("the branch alone prints the same help and the same usage errors as the whole tree")
  void namedBranch_sameHelpAndErrors() {
    String[][] cases = {
      {"pkg", "verify", "--help"},
      {"pkg", "verify"},
      {"pkg", "scan", "--no-such-option"},
      {"repo", "root", "sign", "--help"},
      {"pkg", "verfy"},
      {"pkg"},
    };
    for (String[] args : cases) {
      assertThat(run(Main.newCommandLine(args), args))
          .as(String.join(" ", args))
          .containsExactly(run(Main.newCommandLine(), args));
    }
    assertThat(run(Main.newCommandLine("pkg", "verify", "--help"), "pkg", "verify", "--help")[1])
        .startsWith("Usage: neguard pkg verify ");
  }
}
