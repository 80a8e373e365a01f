package org.neguard.cli.evidence;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.agent.AgentConfig;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard evidence install}: INT-1..4 and SRC-2 evidence from an NE agent's runs. */
@Command(
    name = "install",
    mixinStandardHelpOptions = true,
    description = {
      "Write INT-1/INT-2/INT-3/INT-4/SRC-2 evidence (evidence-install.html and .json) of how a"
          + " package's integrity was guaranteed end to end on one NE, from runs that happened:"
          + " the agent's log of JSON lines, its state directory and, optionally, the OAM"
          + " server.",
      "Each requirement cites the events observed (order ids, digests, signer, timestamps,"
          + " refusals with their codes) and says not observed when the inputs do not show it."
          + " With --agent-config the kept signed manifests and the active slot are verified"
          + " again now. Exit 0 when no test case fails, 3 otherwise."
    })
final class EvidenceInstallCommand extends ClientCommand {
  @Option(names = "--agent-config", paramLabel = "FILE",
      description = "The agent's configuration: its state directory, install root and trust"
          + " anchors (the kept manifests and the active slot are verified again).")
  Path agentConfig;

  @Option(names = "--state", paramLabel = "DIR",
      description = "The agent's state directory (without --agent-config).")
  Path state;

  @Option(names = "--log", paramLabel = "FILE",
      description = "The agent's log, one JSON event a line (journalctl -u neguard-agent -o"
          + " cat > FILE).")
  Path log;

  @Option(names = "--with-server",
      description = "Also ask the OAM server (the login of --config) for its stored packages"
          + " and the audit rows of their ingest.")
  boolean withServer;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Directory for evidence-install.html and .json.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (agentConfig == null && state == null && log == null) {
      throw usage("give what the agent left: --agent-config FILE or --state DIR, and --log"
          + " FILE");
    }
    AgentConfig config = null;
    if (agentConfig != null) {
      try {
        config = AgentConfig.load(agentConfig);
      } catch (AgentConfig.ConfigException e) {
        throw usage("bad agent configuration: " + e.getMessage());
      }
    }
    InstallEvidence.Result r = InstallEvidence.collect(new InstallEvidence.Inputs(state, log,
        config, withServer ? server() : null), out);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("html", r.html().toString());
    d.put("json", r.json().toString());
    d.put("passed", r.passed());
    d.put("failed", r.failed());
    d.put("notObserved", r.notObserved());
    Output o = output();
    if (!r.failed().isEmpty()) {
      o.line("Evidence written to " + r.html() + " and " + r.json());
      throw new RefusalException(r.failed().stream()
          .map(id -> Reason.about(r.failedCodes().getOrDefault(id, ReasonCode.STRUCTURE), id,
              "test case " + id
              + " failed: what the NE did contradicts the requirement; see " + r.html()))
          .toList());
    }
    String notObserved = r.notObserved().isEmpty() ? ""
        : " (not observed: " + String.join(", ", r.notObserved()) + ")";
    return o.pass("PASS  " + r.passed() + " test cases" + notObserved + "; evidence written to "
        + r.html() + " and " + r.json(), d);
  }
}
