package org.neguard.cli.support;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that only groups subcommands ({@code neguard pkg}): run alone, it asks for one. */
public abstract class CommandGroup implements Runnable {
  @Spec private CommandSpec spec;

  /** What to say when no subcommand is given: "give a pkg command: build, ...". */
  protected abstract String hint();

  @Override
  public final void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), hint());
  }
}
