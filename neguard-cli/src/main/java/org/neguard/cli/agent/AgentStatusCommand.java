package org.neguard.cli.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.AgentStatus;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard agent status}: what the agent of a configuration has installed and is doing. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Show the NE agent's state: the installed package, the active slot and the"
        + " last-known-good one, the versions on disk, the last order's result, any order under"
        + " way, and whether the server answers a mutual-TLS request with the device identity.",
        "Reads the state directory and install root only; exit 0, 2 on a bad configuration."})
final class AgentStatusCommand extends CommandBase {
  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The agent's configuration (a properties file, docs/AGENT.md).")
  Path config;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.class,
      description = "How long the server may take to connect and answer (default 5s).")
  Duration timeout;

  @Override
  public Integer call() {
    AgentConfig c = AgentConfigs.load(config, commandLine());
    Map<String, Object> s = AgentStatus.collect(c, timeout);
    return output().done(text(s), s);
  }

  @SuppressWarnings("unchecked")
  static String text(Map<String, Object> s) {
    StringBuilder b = new StringBuilder();
    b.append("device     ").append(s.get("deviceId")).append(" (").append(s.get("neType"))
        .append(")\n");
    Object installed = s.get("installed");
    if (installed instanceof Map<?, ?> m) {
      b.append("installed  ").append(m.get("name")).append(' ').append(m.get("version"))
          .append(" (securityVersion ").append(m.get("securityVersion")).append(", order ")
          .append(m.get("orderId")).append(", ").append(m.get("installedAt")).append(")\n");
    } else {
      b.append("installed  ").append(installed == null ? "nothing" : installed).append('\n');
    }
    b.append("current    ").append(orNone(s.get("current"))).append('\n');
    b.append("previous   ").append(orNone(s.get("previous"))).append(" (last-known-good)\n");
    List<String> versions = (List<String>) s.get("versions");
    b.append("on disk    ").append(versions.isEmpty() ? "(none)" : String.join(", ", versions))
        .append('\n');
    Object last = s.get("lastResult");
    if (last instanceof Map<?, ?> m) {
      b.append("last       order ").append(m.get("orderId")).append(' ').append(m.get("status"))
          .append(" at ").append(m.get("at"));
      if (m.get("reasons") instanceof List<?> reasons) {
        for (Object r : reasons) {
          if (r instanceof Map<?, ?> rm) {
            b.append("\n             ").append(rm.get("code")).append("  ")
                .append(rm.get("message"));
          }
        }
      }
      b.append('\n');
    } else {
      b.append("last       ").append(last == null ? "no order carried out yet" : last)
          .append('\n');
    }
    Object journal = s.get("journal");
    b.append("under way  ").append(journal == null ? "nothing" : journal).append('\n');
    Map<String, Object> server = (Map<String, Object>) s.get("server");
    b.append("server     ").append(server.get("url")).append(": ").append(server.get("detail"));
    return Output.printableLines(b.toString());
  }

  private static Object orNone(Object o) {
    return o == null ? "(none)" : o;
  }
}
