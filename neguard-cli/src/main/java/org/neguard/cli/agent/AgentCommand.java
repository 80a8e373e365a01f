package org.neguard.cli.agent;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.neguard.agent.Agent;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard agent --config FILE}: runs the NE agent (docs/AGENT.md) until SIGTERM; with a
 * subcommand ({@code status}, {@code verify-installed}) it looks at the agent's state instead.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = {"Run the NE agent: enroll on first start, poll the OAM server, verify every"
        + " order and package before installing it into a new slot (INT-3), switch atomically.",
        "It logs one JSON line per event on stdout and stops gracefully on SIGTERM.",
        "Exit 0 stopped, 1 error, 2 configuration error, 3 no device identity (a new"
            + " enrollment token is needed).",
        "With a command (status, verify-installed, measure) it reports on the agent of --config"
            + " instead of running it."},
    subcommands = {AgentStatusCommand.class, AgentVerifyInstalledCommand.class,
        AgentMeasureCommand.class})
final class AgentCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE",
      description = "The agent's configuration (a properties file, docs/AGENT.md).")
  Path config;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --config FILE to run"
          + " the agent, or a command: status, verify-installed, measure");
    }
    return Agent.run(config, System.out);
  }
}
