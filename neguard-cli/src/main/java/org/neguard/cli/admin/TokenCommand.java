package org.neguard.cli.admin;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard user token}. */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Your API tokens for scripts: create (shown once), list, revoke.",
    subcommands = {TokenCreateCommand.class, TokenListCommand.class, TokenRevokeCommand.class})
final class TokenCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a token command: create, list or revoke";
  }
}
