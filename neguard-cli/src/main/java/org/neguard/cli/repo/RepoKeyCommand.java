package org.neguard.cli.repo;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard repo key}: a root key holder's own key. */
@Command(name = "key", mixinStandardHelpOptions = true,
    description = "A root key holder's key: made on their own machine, kept in a file encrypted"
        + " with their password.",
    subcommands = {RepoKeyNewCommand.class})
final class RepoKeyCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a repo key command: new";
  }
}
