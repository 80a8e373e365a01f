package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard deploy pause}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
    description = "Pause a running deployment (operator): no new orders are issued until it is resumed.")
final class DeployPauseCommand extends DeploymentChangeCommand {
  @Option(names = "--reason", paramLabel = "TEXT",
      description = "Why, shown in the deployment's status and recorded in the audit log.")
  String reason;

  DeployPauseCommand() {
    super(DeploymentAction.PAUSE, "Paused");
  }

  @Override
  String reason() {
    return reason;
  }
}
