package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;

/** {@code neguard deploy cancel}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancel a deployment (operator): orders not yet finished are cancelled and it"
        + " never resumes.")
final class DeployCancelCommand extends DeploymentChangeCommand.WithOptionalReason {
  DeployCancelCommand() {
    super(DeploymentAction.CANCEL, "Cancelled");
  }
}
