package org.neguard.cli.vuln;

import java.util.List;
import java.util.Locale;
import org.neguard.api.vuln.DeviceVulnSummary;
import org.neguard.api.vuln.FleetAdvisory;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import org.neguard.vuln.Severity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard vuln fleet}. */
@Command(name = "fleet", mixinStandardHelpOptions = true,
    description = {"Show the known vulnerabilities of the whole fleet, one row per advisory with"
        + " the NEs it affects (HRD-3).",
        "Each row: the advisory and its CVE ids, the severity with its CVSS score, the package,"
            + " how many NEs run an affected version (and how many expose it through a"
            + " listening port), and the fixed version. Most severe first. Then the NEs that"
            + " are not assessed. The server's 'GET /api/vulnerabilities'; 'neguard device"
            + " vulns ID' shows one NE's findings next to its ports."})
final class VulnFleetCommand extends ClientCommand {
  private static final String ROW = "%-40s %-13s %-28s %-16s %s";

  @Option(names = "--severity", paramLabel = "SEVERITY",
      description = "Only advisories of this severity or above: low, medium, high or critical."
          + " One no feed grades (UNKNOWN) is always shown, as a threshold counts it reached.")
  String severity;

  @Override
  public Integer call() throws Exception {
    Severity threshold = threshold();
    FleetVulnerabilities f = server().fleetVulnerabilities();
    FleetVulnerabilities shown = new FleetVulnerabilities(f.state(), f.feeds(), f.messages(),
        f.devices(), at(f.advisories(), threshold));
    return output().done(text(shown, threshold), fields(shown));
  }

  /** The advisories that reach {@code threshold} (all when it is null). */
  static List<FleetAdvisory> at(List<FleetAdvisory> advisories, Severity threshold) {
    if (threshold == null) {
      return advisories;
    }
    return advisories.stream().filter(a -> Severity.ofName(a.severity()).reaches(threshold)).toList();
  }

  static String text(FleetVulnerabilities f, Severity threshold) {
    StringBuilder t = new StringBuilder("Fleet: ").append(f.state()).append("; ")
        .append(f.devices().size()).append(" NE(s)\n");
    VulnText.feedsAndMessages(t, f.feeds(), f.messages());
    List<DeviceVulnSummary> unassessed = f.devices().stream()
        .filter(d -> !"ASSESSED".equals(d.state())).toList();
    if (f.advisories().isEmpty()) {
      t.append(!"ASSESSED".equals(f.state()) ? "No findings: not a clean bill (" + f.state()
          + ")." : threshold == null ? "No known vulnerability on an assessed NE."
          : "No known vulnerability at or above " + threshold.name().toLowerCase(Locale.ROOT)
              + " on an assessed NE.");
    } else {
      t.append(String.format(ROW, "ADVISORY", "SEVERITY", "PACKAGE", "NES (REACHABLE)",
          "FIXED"));
      for (FleetAdvisory a : f.advisories()) {
        String cves = a.cves().stream().filter(c -> !a.advisoryId().endsWith(c))
            .reduce((x, y) -> x + "," + y).orElse("");
        t.append('\n').append(Output.printable(String.format(ROW,
            a.advisoryId() + (cves.isEmpty() ? "" : " " + cves),
            a.severity() + (a.score() == null ? "" : " " + a.score()), a.packageName(),
            a.devices() + " (" + a.reachable() + ")",
            a.fixedVersion() == null ? "(no fix)" : a.fixedVersion())));
      }
    }
    if (!unassessed.isEmpty()) {
      t.append("\nNot assessed (not counted above):");
      for (DeviceVulnSummary d : unassessed) {
        t.append("\n  ").append(Output.printable(d.deviceId() + " (" + d.neType() + "): "
            + d.state()));
      }
    }
    return t.toString();
  }

  private Severity threshold() {
    if (severity == null) {
      return null;
    }
    return Severity.threshold(severity).orElseThrow(() -> usage("--severity: '" + severity
        + "' is not " + Severity.THRESHOLDS));
  }
}
