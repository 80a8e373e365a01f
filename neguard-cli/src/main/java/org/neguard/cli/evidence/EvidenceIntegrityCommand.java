package org.neguard.cli.evidence;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard evidence integrity}: ATT-1..4, REC-1..4 and OBJ-2 evidence from the server. */
@Command(
    name = "integrity",
    mixinStandardHelpOptions = true,
    description = {
      "Write ATT-1..ATT-4, REC-1..REC-4 and OBJ-2 evidence (evidence-integrity.html and .json)"
          + " of platform validation around updates and of recovery, from runs that happened.",
      "It reads the OAM server's attestations, trust states, deployments (update and recovery)"
          + " with their targets, failure policies, baselines and audit rows; each requirement"
          + " passes only when an observed run proves it, else it is NOT_DEMONSTRATED with what"
          + " to run. Best as a user holding operator and auditor (or admin): a source it may"
          + " not read is noted. Exit 0 when no requirement is contradicted, 3 otherwise;"
          + " with --require-all also 3 when one is not demonstrated."
    })
final class EvidenceIntegrityCommand extends ClientCommand {
  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Directory for evidence-integrity.html and .json.")
  Path out;

  @Option(names = "--require-all",
      description = "Exit 3 also when a requirement is not demonstrated (for a release gate).")
  boolean requireAll;

  @Override
  public Integer call() throws Exception {
    IntegrityEvidence.Result r = IntegrityEvidence.collect(server(), out);
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("html", r.html().toString());
    d.put("json", r.json().toString());
    d.put("passed", r.passed());
    d.put("failed", r.failed());
    d.put("notDemonstrated", r.notDemonstrated());
    Output o = output();
    String written = "evidence written to " + r.html() + " and " + r.json();
    if (!r.failed().isEmpty() || requireAll && !r.notDemonstrated().isEmpty()) {
      o.line("Evidence written to " + r.html() + " and " + r.json());
      java.util.List<Reason> reasons = new java.util.ArrayList<>();
      r.failed().forEach(id -> reasons.add(Reason.about(ReasonCode.STRUCTURE, id,
          "test case " + id + " failed: what the server recorded contradicts the requirement;"
              + " see " + r.html())));
      if (requireAll) {
        r.notDemonstrated().forEach(id -> reasons.add(Reason.about(ReasonCode.STRUCTURE, id,
            "test case " + id + " is not demonstrated by any run; " + r.html()
                + " says what to run")));
      }
      throw new RefusalException(reasons);
    }
    String notDemonstrated = r.notDemonstrated().isEmpty() ? ""
        : " (not demonstrated: " + String.join(", ", r.notDemonstrated()) + ")";
    return o.pass("PASS  " + r.passed().size() + " requirement(s) demonstrated"
        + notDemonstrated + "; " + written, d);
  }
}
