package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard deploy cancel}. */
@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancel a deployment (operator): orders not yet finished are cancelled and it never resumes.")
final class DeployCancelCommand extends DeploymentChangeCommand {
  @Option(names = "--reason", paramLabel = "TEXT",
      description = "Why, shown in the deployment's status and recorded in the audit log.")
  String reason;

  DeployCancelCommand() {
    super(DeploymentAction.CANCEL, "Cancelled");
  }

  @Override
  String reason() {
    return reason;
  }
}
