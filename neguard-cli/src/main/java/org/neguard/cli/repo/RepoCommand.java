package org.neguard.cli.repo;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard repo}: the TUF repository of the published packages (OBJ-1, SRC-2, INT-4). */
@Command(name = "repo", mixinStandardHelpOptions = true,
    description = {
      "The server's TUF repository of the published packages: root keys, the root ceremony,"
          + " rotation, status, and a TUF client that verifies a repository.",
      "The root is signed offline: each root key holder makes their key on their own machine"
          + " (repo key new), an admin assembles the unsigned root from the public keys (repo"
          + " init), each holder signs it in turn (repo root sign) and an admin publishes it"
          + " (repo root publish). Targets are signed by the server, or offline by their own"
          + " key holders (repo targets). See docs/REPOSITORY.md."
    },
    subcommands = {RepoKeyCommand.class, RepoInitCommand.class, RepoRootCommand.class,
        RepoTargetsCommand.class, RepoRotateCommand.class, RepoStatusCommand.class,
        RepoVerifyCommand.class})
final class RepoCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a repo command: key, init, root, targets, rotate, status or verify";
  }
}
