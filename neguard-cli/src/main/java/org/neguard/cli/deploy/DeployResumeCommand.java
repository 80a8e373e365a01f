package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard deploy resume}. */
@Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Resume a paused deployment (operator).")
final class DeployResumeCommand extends DeploymentChangeCommand {
  @Option(names = "--reason", paramLabel = "TEXT",
      description = "Why, shown in the deployment's status and recorded in the audit log.")
  String reason;

  DeployResumeCommand() {
    super(DeploymentAction.RESUME, "Resumed");
  }

  @Override
  String reason() {
    return reason;
  }
}
