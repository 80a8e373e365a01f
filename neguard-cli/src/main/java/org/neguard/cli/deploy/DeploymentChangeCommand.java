package org.neguard.cli.deploy;

import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient.DeploymentAction;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Reject, pause, resume or cancel: one request with a reason, the deployment as it is now. */
abstract class DeploymentChangeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  private final DeploymentAction action;
  private final String done;

  DeploymentChangeCommand(DeploymentAction action, String done) {
    this.action = action;
    this.done = done;
  }

  /** The reason given, or null. */
  abstract String reason();

  /** Pause, resume, cancel: a reason is welcome, not required. */
  abstract static class WithOptionalReason extends DeploymentChangeCommand {
    @Option(names = "--reason", paramLabel = "TEXT",
        description = "Why, shown in the deployment's status and recorded in the audit log.")
    String reason;

    WithOptionalReason(DeploymentAction action, String done) {
      super(action, done);
    }

    @Override
    final String reason() {
      return reason;
    }
  }

  @Override
  public final Integer call() throws Exception {
    Deployment d = server().changeDeployment(id, action, new ReasonRequest(reason()));
    return output().done(done + " deployment " + d.id() + "; now "
        + DeploymentText.stateLine(d), fields(d));
  }
}
