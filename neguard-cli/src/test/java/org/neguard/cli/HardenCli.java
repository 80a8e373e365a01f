package org.neguard.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs one harden subcommand in process, wired as {@link Main#newCommandLine} wires the whole
 * command (exception handler, enum handling), until the {@code harden} parent registers it.
 */
final class HardenCli {
  private HardenCli() {}

  static CliRun run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setExecutionExceptionHandler(new Failures());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  static CliRun check(String... args) {
    return run(new HardenCheckCommand(), args);
  }

  static CliRun diff(String... args) {
    return run(new HardenDiffCommand(), args);
  }
}
