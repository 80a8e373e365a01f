package org.neguard.cli.support;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The one way to write a subcommand: a top-level class that extends this (or {@link
 * ClientCommand}, to talk to an OAM server), returns its exit code from {@link #call()} through
 * {@link #output()}, and throws {@link org.neguard.verdict.RefusalException} or {@link #usage}
 * for everything else. This base owns {@code --json} and the output, so that every command
 * prints and fails the same way.
 */
public abstract class CommandBase implements Callable<Integer>, Output.JsonCapable {
  @Mixin private JsonOption jsonOption;
  @Spec private CommandSpec spec;

  @Override
  public final boolean json() {
    return jsonOption.json;
  }

  /** Where the results go, in this command's mode. */
  protected final Output output() {
    return Output.of(spec.commandLine());
  }

  /** This command's command line (to run another command as the quickstart does, say). */
  protected final CommandLine commandLine() {
    return spec.commandLine();
  }

  /** A usage error (exit 2, with the usage): throw it for arguments that do not fit together. */
  protected final CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
