package org.neguard.cli.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.Measurements;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.Output;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard agent measure}: this NE's components, their digests and the platform TIM. */
@Command(name = "measure", mixinStandardHelpOptions = true,
    description = {"Measure this NE as a validation entity will (docs/MEASUREMENT.md): the"
        + " active package's slot against the RIM of its signed manifest, the platform"
        + " directories of measure.paths, and the platform TIM chained from them.",
        "Exit 0 when the package is what its signed RIM says; 3 (MEASUREMENT_MISMATCH) with"
            + " the files that differ; 2 on a bad configuration."})
final class AgentMeasureCommand extends CommandBase {
  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The agent's configuration (a properties file, docs/AGENT.md).")
  Path config;

  @Override
  public Integer call() throws Exception {
    AgentConfig c = AgentConfigs.load(config, commandLine());
    Measurements.Result r = Measurements.measure(c);
    List<Map<String, Object>> rows = new ArrayList<>();
    List<Reason> reasons = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (Measurements.Measured m : r.components()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("name", m.component().name());
      row.put("reference", m.component().reference().name());
      row.put("digest", m.component().digest());
      row.put("files", m.component().leaves().size());
      m.signedRim().ifPresent(rim -> row.put("signedRim", rim));
      row.put("matches", m.matches());
      if (!m.matches()) {
        row.put("changed", m.differences().changed());
        row.put("missing", m.differences().missing());
        row.put("extra", m.differences().extra());
        reasons.add(Reason.about(ReasonCode.MEASUREMENT_MISMATCH, m.component().name(),
            m.component().name() + " measures " + m.component().digest() + ", its signed RIM"
                + " is " + m.signedRim().orElse("") + ": changed " + m.differences().changed()
                + ", missing " + m.differences().missing() + ", extra "
                + m.differences().extra()));
      }
      rows.add(row);
      text.append(String.format("%n%-24s %-17s %s %6d files%s",
          Output.printable(m.component().name()), m.component().reference(),
          m.component().digest(), m.component().leaves().size(),
          m.signedRim().isEmpty() ? "" : m.matches() ? "  = signed RIM" : "  != signed RIM"));
    }
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("components", rows);
    d.put("timAlgorithm", org.neguard.measure.PlatformTim.ALGORITHM);
    d.put("tim", r.tim());
    String head = "TIM " + r.tim() + " of " + rows.size() + " component(s)" + text;
    if (reasons.isEmpty()) {
      return output().pass(head, d);
    }
    return output().failWithDetails(head, reasons, d);
  }
}
