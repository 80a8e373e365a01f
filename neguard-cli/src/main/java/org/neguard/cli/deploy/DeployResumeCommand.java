package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;

/** {@code neguard deploy resume}. */
@Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Resume a paused deployment (operator).")
final class DeployResumeCommand extends DeploymentChangeCommand.WithOptionalReason {
  DeployResumeCommand() {
    super(DeploymentAction.RESUME, "Resumed");
  }
}
