package org.neguard.cli.admin;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard user}: accounts, roles and API tokens on an OAM server (SRC-1). */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = {
      "Manage accounts, roles and API tokens on the OAM server.",
      "Roles: admin, publisher (uploads packages), operator (deploys), approver (approves "
          + "deployments), auditor (reads everything, changes nothing). A user may hold several."
    },
    subcommands = {
      UserAddCommand.class,
      UserListCommand.class,
      UserDisableCommand.class,
      UserEnableCommand.class,
      UserRolesCommand.class,
      UserPasswdCommand.class,
      TokenCommand.class
    })
final class UserCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a user command: add, list, disable, enable, roles, passwd or token";
  }
}
