package org.neguard.cli.deploy;

import org.neguard.api.deploy.ApproveRequest;
import org.neguard.api.deploy.Deployment;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard deploy approve}: one approval of the four-eyes rule (SRC-1). */
@Command(name = "approve", mixinStandardHelpOptions = true,
    description = {
      "Approve a deployment (approver, not its creator).",
      "The server refuses the creator's own approval (FOUR_EYES, exit 3) and counts each"
          + " approver once; the deployment starts with its last required approval."
    })
final class DeployApproveCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Option(names = "--acknowledge-rollback",
      description = "Approve a rollback deployment, knowing it installs a lower security"
          + " version (required for one).")
  boolean acknowledgeRollback;

  @Option(names = "--comment", paramLabel = "TEXT", description = "Recorded in the audit log.")
  String comment;

  @Override
  public Integer call() throws Exception {
    Deployment d = server().approveDeployment(id,
        new ApproveRequest(acknowledgeRollback ? Boolean.TRUE : null, comment));
    return output().done("Approved deployment " + d.id() + " (" + d.approvals().size() + " of "
        + d.requiredApprovals() + " approvals); now " + DeploymentText.stateLine(d), fields(d));
  }
}
