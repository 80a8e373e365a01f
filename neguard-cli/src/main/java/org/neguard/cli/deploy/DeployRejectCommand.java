package org.neguard.cli.deploy;

import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard deploy reject}. */
@Command(name = "reject", mixinStandardHelpOptions = true,
    description = "Reject a deployment waiting for approval (approver); it never starts.")
final class DeployRejectCommand extends DeploymentChangeCommand {
  @Option(names = "--reason", required = true, paramLabel = "TEXT",
      description = "Why, shown in the deployment's status and recorded in the audit log.")
  String reason;

  DeployRejectCommand() {
    super(DeploymentAction.REJECT, "Rejected");
  }

  @Override
  String reason() {
    return reason;
  }
}
