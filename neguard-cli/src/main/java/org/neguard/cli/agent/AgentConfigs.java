package org.neguard.cli.agent;

import java.nio.file.Path;
import org.neguard.agent.AgentConfig;
import picocli.CommandLine;

/** The agent's configuration for a local command: a bad one is a usage error (exit 2). */
final class AgentConfigs {
  private AgentConfigs() {}

  static AgentConfig load(Path file, CommandLine cl) {
    try {
      return AgentConfig.load(file);
    } catch (AgentConfig.ConfigException e) {
      throw new CommandLine.ParameterException(cl, "bad agent configuration: " + e.getMessage());
    }
  }
}
