package org.neguard.cli.repo;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard repo targets}: the targets metadata, when its keys are offline. */
@Command(name = "targets", mixinStandardHelpOptions = true,
    description = {
      "Sign targets offline: fetch the next unsigned targets, sign it with the targets key"
          + " holders' keys, publish it.",
      "Only for a root whose targets keys are offline ('neguard repo init --targets-key');"
          + " otherwise the server signs targets itself. See docs/REPOSITORY.md."
    },
    subcommands = {RepoTargetsPullCommand.class, RepoTargetsSignCommand.class,
        RepoTargetsPublishCommand.class})
final class RepoTargetsCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a repo targets command: pull, sign or publish";
  }
}
