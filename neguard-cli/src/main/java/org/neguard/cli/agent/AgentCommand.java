package org.neguard.cli.agent;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.neguard.agent.Agent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard agent --config FILE}: runs the NE agent (docs/AGENT.md) until SIGTERM. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = {"Run the NE agent: enroll on first start, poll the OAM server, verify every"
        + " order and package before installing it into a new slot (INT-3), switch atomically."
        + " Logs one JSON line per event on stdout; stops gracefully on SIGTERM.",
        "Exit 0 stopped, 1 error, 2 configuration error, 3 no device identity (a new"
            + " enrollment token is needed)."})
final class AgentCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The agent's configuration (a properties file, docs/AGENT.md).")
  Path config;

  @Override
  public Integer call() {
    return Agent.run(config, System.out);
  }
}
