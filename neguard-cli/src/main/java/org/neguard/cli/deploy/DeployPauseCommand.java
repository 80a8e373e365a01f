package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;

/** {@code neguard deploy pause}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
    description = "Pause a running deployment (operator): no new orders are issued until it is"
        + " resumed.")
final class DeployPauseCommand extends DeploymentChangeCommand.WithOptionalReason {
  DeployPauseCommand() {
    super(DeploymentAction.PAUSE, "Paused");
  }
}
