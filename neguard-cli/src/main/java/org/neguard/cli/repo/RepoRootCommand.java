package org.neguard.cli.repo;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard repo root}: signing and publishing a root. */
@Command(name = "root", mixinStandardHelpOptions = true,
    description = "Sign a root with one holder's key, or publish a signed root to the server.",
    subcommands = {RepoRootSignCommand.class, RepoRootPublishCommand.class})
final class RepoRootCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a repo root command: sign or publish";
  }
}
