package org.neguard.cli.deploy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.deploy.Target;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.ServerClient;
import org.neguard.cli.support.StopSignal;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard deploy status}: one deployment per wave, once or until it ends. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {
      "Show a deployment's state and each wave's progress; --watch follows it until it ends.",
      "With --watch a terminal shows a progress bar per wave (# succeeded, ! failed or refused,"
          + " > in progress); a log or a pipe gets a line whenever something changed. Ctrl-C"
          + " stops watching, not the deployment.",
      "Exit code once the deployment has ended: 0 when it completed with every device"
          + " succeeded, 3 (DEPLOYMENT_STATE) when it was rejected, cancelled or expired, or"
          + " some devices failed or were refused; 0 while it has not ended."
    })
final class DeployStatusCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Option(names = "--watch", description = "Refresh until the deployment has ended.")
  boolean watch;

  @Option(names = "--targets",
      description = "Also list each device: its wave, state, order and the reasons it failed.")
  boolean targets;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How often --watch asks the server (default: ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "With --watch, give up after this long; a deployment that has not ended"
          + " by then exits 3 (DEPLOYMENT_STATE).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    ServerClient server = server();
    Deployment d = server.deployment(id);
    Output out = output();
    if (!watch) {
      return result(server, out, d, DeploymentText.status(d));
    }
    try (StopSignal stop = StopSignal.install()) {
      StatusWatch w = new StatusWatch(out, TerminalProgress.watching(out));
      Optional<Deployment> last = w.follow(() -> server.deployment(id), d, interval, timeout);
      if (last.isEmpty()) {
        out.err().println("Stopped watching; the deployment goes on:"
            + " 'neguard deploy status " + id + " --watch' to follow it again.");
        out.err().flush();
        return out.done(DeploymentText.summary(w.latest()), details(server, w.latest()));
      }
      d = last.get();
      if (!DeploymentText.isFinal(d)) {
        return out.failWithDetails(DeploymentText.summary(d), List.of(Reason.of(
            ReasonCode.DEPLOYMENT_STATE, "deployment " + id + " is still " + d.state()
                + " after the --timeout of " + timeout + "; it goes on: 'neguard deploy status "
                + id + "' shows where it stands")), details(server, d));
      }
      return result(server, out, d,
          w.drewBars() ? DeploymentText.status(d) : DeploymentText.summary(d));
    }
  }

  /** The exit code of what the deployment is now: see the command's description. */
  private int result(ServerClient server, Output out, Deployment d, String text)
      throws IOException, RefusalException {
    Map<String, Object> details = fields(d);
    if (targets) {
      List<Target> list = server.targets(d.id());
      text = text + "\n" + DeploymentText.targets(list);
      details.put("targets", wire(list));
    }
    Optional<Reason> bad = DeploymentText.badEnd(d);
    if (bad.isPresent()) {
      return out.failWithDetails(text, List.of(bad.get()), details);
    }
    return DeploymentText.isFinal(d) ? out.pass(text, details) : out.done(text, details);
  }

  private Map<String, Object> details(ServerClient server, Deployment d)
      throws IOException, RefusalException {
    Map<String, Object> details = fields(d);
    if (targets) {
      details.put("targets", wire(server.targets(d.id())));
    }
    return details;
  }
}
