package org.neguard.cli.support;

import picocli.CommandLine;

/** What every neguard command line is set up with. */
public final class Commands {
  private Commands() {}

  /** Sets the failure contract (exit codes, no stack traces) and case-free enum values. */
  public static CommandLine configure(CommandLine cl) {
    cl.setExecutionExceptionHandler(new Failures());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }
}
