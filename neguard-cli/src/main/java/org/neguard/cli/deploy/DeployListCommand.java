package org.neguard.cli.deploy;

import java.util.List;
import java.util.Map;
import org.neguard.api.deploy.Deployment;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;

/** {@code neguard deploy list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the deployments with their package, state, wave and creator.")
final class DeployListCommand extends ClientCommand {
  private static final String ROW = "%-24s %-8s %-20s %-12s %-17s %-7s %-8s %s";

  @Override
  public Integer call() throws Exception {
    List<Deployment> list = server().deployments();
    StringBuilder text = new StringBuilder(String.format(ROW, "ID", "KIND", "PACKAGE", "VERSION",
        "STATE", "WAVE", "DEVICES", "CREATED BY"));
    for (Deployment d : list) {
      text.append('\n').append(Output.printable(String.format(ROW, d.id(), DeploymentText.kind(d), d.packageName(),
          d.packageVersion(), d.state(),
          d.currentWave() + "/" + DeploymentText.waves(d).size(), d.targetCount(),
          d.createdBy())));
    }
    return output().done(text.toString(), Map.of("deployments", wire(list)));
  }
}
