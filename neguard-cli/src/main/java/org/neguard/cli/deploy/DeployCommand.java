package org.neguard.cli.deploy;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard deploy}: deployments with four-eyes approval, in waves (SRC-1, REC-2). */
@Command(name = "deploy", mixinStandardHelpOptions = true,
    description = {
      "Deployments of a stored package to devices: create, approve (four-eyes), reject, pause,"
          + " resume, cancel, list, status.",
      "A deployment starts only once approvers other than its creator have approved it; it then"
          + " runs in waves, each one only after the previous one met its success threshold."
    },
    subcommands = {DeployCreateCommand.class, DeployApproveCommand.class,
        DeployRejectCommand.class, DeployPauseCommand.class, DeployResumeCommand.class,
        DeployCancelCommand.class, DeployListCommand.class, DeployStatusCommand.class})
final class DeployCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a deploy command: create, approve, reject, pause, resume, cancel, list or status";
  }
}
