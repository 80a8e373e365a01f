package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The help a user reads first: each command's summary is one whole sentence, and no description
 * is cut mid-phrase by a hard line break (picocli wraps; a line break in the source would print).
 */
class HelpTextTest {
  /** A description line may end a sentence, open a list, or close a parenthesis or quotation. */
  private static final String WHOLE = ".*[.:!?)'\"`](%n)*$";

  private static void walk(CommandLine cl, List<String> problems) {
    CommandSpec spec = cl.getCommandSpec();
    String name = spec.qualifiedName();
    String[] d = spec.usageMessage().description();
    if (d.length == 0 || d[0].isBlank()) {
      problems.add(name + ": no summary");
    } else if (!d[0].strip().endsWith(".")) {
      problems.add(name + ": summary is not one whole sentence: '" + d[0] + "'");
    } else if (d[0].strip().matches(".*[a-z0-9)][.!?] +[A-Z].*")) {
      // The command list shows the summary beside the name: one sentence, the rest below.
      problems.add(name + ": summary is more than one sentence: '" + d[0] + "'");
    }
    for (String line : d) {
      if (!line.isEmpty() && !line.strip().matches(WHOLE)) {
        problems.add(name + ": description line cut mid-phrase: '" + line + "'");
      }
    }
    Object command = spec.userObject();
    CommandLine.Command annotation =
        command == null ? null : command.getClass().getAnnotation(CommandLine.Command.class);
    if (annotation != null) {
      formats(name, annotation.description(), problems);
    }
    for (ArgSpec a : spec.args()) {
      String[] ad = a.description();
      String label = name + " " + (a.isOption() ? ((CommandLine.Model.OptionSpec) a).longestName()
          : a.paramLabel());
      for (String line : ad) {
        if (!line.isEmpty() && !line.strip().matches(WHOLE)) {
          problems.add(label + ": description line cut mid-phrase: '" + line + "'");
        }
      }
      if (a.userObject() instanceof java.lang.reflect.AnnotatedElement e) {
        CommandLine.Option option = e.getAnnotation(CommandLine.Option.class);
        CommandLine.Parameters parameters = e.getAnnotation(CommandLine.Parameters.class);
        formats(label, option != null ? option.description()
            : parameters != null ? parameters.description() : new String[0], problems);
      }
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      walk(sub, problems);
    }
  }

  /**
   * picocli formats each help line of the annotations with {@link String#format}: a bare {@code
   * %} (a percentage) fails it, and the user's --help then starts with a "[picocli WARN] Could
   * not format" line. (The spec's description() is the text after formatting, so the
   * annotations' own text is read.)
   */
  private static void formats(String where, String[] lines, List<String> problems) {
    for (String line : lines) {
      try {
        String.format(line);
      } catch (java.util.IllegalFormatException e) {
        problems.add(where + ": '%' not written '%%' (" + e + "): '" + line + "'");
      }
    }
  }

  @Test
  @DisplayName("every command's summary is one whole sentence and no help line is cut mid-phrase")
  void help_everyCommand_wholeSentences() {
    List<String> problems = new ArrayList<>();
    walk(Main.newCommandLine(), problems);
    assertThat(problems).isEmpty();
  }

  @Test
  @DisplayName("neguard --help lists each command with its whole summary sentence")
  void help_topLevel_listsWholeSummaries() {
    java.io.StringWriter out = new java.io.StringWriter();
    CommandLine cl = Main.newCommandLine();
    cl.setOut(new java.io.PrintWriter(out));
    cl.setUsageHelpWidth(100);
    assertThat(cl.execute("--help")).isZero();
    String help = out.toString();
    // Every command row of the list, with its continuation lines, ends in a full stop.
    String commands = help.substring(help.indexOf("Commands:"));
    List<String> rows = new ArrayList<>();
    for (String line : commands.split("\n")) {
      if (line.startsWith("  ") && !line.startsWith("   ")) {
        rows.add(line.strip());
      } else if (line.startsWith("   ") && !rows.isEmpty()) {
        rows.set(rows.size() - 1, rows.get(rows.size() - 1) + " " + line.strip());
      }
    }
    assertThat(rows).hasSizeGreaterThan(5).allSatisfy(r -> assertThat(r).endsWith("."));
  }
}
