package org.neguard.cli.deploy;

import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient.DeploymentAction;
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

  @Override
  public final Integer call() throws Exception {
    Deployment d = server().changeDeployment(id, action, new ReasonRequest(reason()));
    return output().done(done + " deployment " + d.id() + "; now "
        + DeploymentText.stateLine(d), fields(d));
  }
}
