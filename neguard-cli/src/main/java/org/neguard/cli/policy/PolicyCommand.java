package org.neguard.cli.policy;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard policy}: the hardening policies per NE type that port drift is judged by. */
@Command(name = "policy", mixinStandardHelpOptions = true,
    description = "Hardening policies on the server, per NE type, that the agents' port"
        + " inventories are judged by (HRD-1, HRD-4): upload, list, show.",
    subcommands = {PolicyUploadCommand.class, PolicyListCommand.class, PolicyShowCommand.class})
final class PolicyCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a policy command: upload, list or show";
  }
}
