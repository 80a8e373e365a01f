package org.neguard.cli.harden;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.Output;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.eval.ObservationDiff;
import org.neguard.harden.report.EvidenceJson;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard harden diff} (HRD-6, TS 33.117 §4.3.2.1: the same after a reboot). */
@Command(
    name = "diff",
    mixinStandardHelpOptions = true,
    description = {
      "Compare two observations of one NE (inventory or scan JSON), for example before and "
          + "after a reboot: ports added, removed, or changed in state, service, program or SNMP "
          + "access.",
      "Exit 0 the same, 3 they differ (PORTS_CHANGED), 1 error."
    })
final class HardenDiffCommand extends CommandBase {
  @Parameters(index = "0", paramLabel = "A.json", description = "The first observation.")
  Path first;

  @Parameters(index = "1", paramLabel = "B.json", description = "The second observation.")
  Path second;

  @Override
  public Object target() {
    return first + " -> " + second;
  }

  @Override
  public Integer call() throws Exception {
    Output output = output();
    Observation a = read(first);
    Observation b = read(second);
    ObservationDiff d = ObservationDiff.of(a, b);
    Map<String, Object> details = new LinkedHashMap<>(EvidenceJson.diff(d));
    StringBuilder text = new StringBuilder();
    text.append(d.same() ? "SAME" : "DIFFERENT").append("  ").append(first).append(" (")
        .append(a.host()).append(", ").append(a.started()).append(") -> ").append(second)
        .append(" (").append(b.host()).append(", ").append(b.started()).append(")");
    List<String> warnings = new ArrayList<>();
    if (!a.host().equalsIgnoreCase(b.host())) {
      warnings.add("the observations are of different hosts: " + a.host() + " and " + b.host());
    }
    if (!a.complete() || !b.complete()) {
      warnings.add("an incomplete observation cannot show the NE is the same");
    }
    for (ObservationDiff.Change c : d.changes()) {
      text.append("\n  ").append(c.describe());
    }
    for (String w : warnings) {
      text.append("\n  warning: ").append(w);
    }
    if (d.same() && a.complete() && b.complete()) {
      text.append("\n  ").append(a.ports().size()).append(" port(s), identical");
      return output.pass(text.toString(), details);
    }
    List<Reason> reasons = new ArrayList<>();
    for (ObservationDiff.Change c : d.changes()) {
      reasons.add(Reason.about(ReasonCode.PORTS_CHANGED, c.key(), c.describe().strip()));
    }
    if (!a.complete() || !b.complete()) {
      reasons.add(Reason.of(ReasonCode.SCAN_INCOMPLETE,
          "an incomplete observation cannot show that the NE is the same: run it again to the end"));
    }
    return output.failWithDetails(text.toString(), reasons, details);
  }

  private static Observation read(Path file) throws Exception {
    return ObservationCodec.read(file);
  }

}
