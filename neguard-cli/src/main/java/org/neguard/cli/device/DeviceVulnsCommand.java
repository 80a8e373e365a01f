package org.neguard.cli.device;

import java.util.stream.Collectors;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.ExposedPort;
import org.neguard.api.vuln.Reach;
import org.neguard.api.vuln.VulnFinding;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import org.neguard.cli.vuln.VulnText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard device vulns}. */
@Command(name = "vulns", mixinStandardHelpOptions = true,
    description = {"Show an NE's known vulnerabilities next to its listening ports (HRD-3).",
        "The ports come with the package serving each, then the findings, those reachable"
            + " through a port first, with their CVE ids and fixed versions, and the"
            + " vulnerability database's state and feed dates. An empty list means 'none found'"
            + " only in state ASSESSED."})
final class DeviceVulnsCommand extends ClientCommand {
  private static final String PORT = "%-14s %-40s %-20s %-34s %s";
  private static final String ROW = "%-30s %-9s %-28s %-26s %-26s %s";

  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    DeviceVulnerabilities v = server().deviceVulnerabilities(id);
    return output().done(text(v), fields(v));
  }

  static String text(DeviceVulnerabilities v) {
    StringBuilder t = new StringBuilder();
    t.append("Device ").append(v.deviceId()).append(" (").append(v.neType()).append("): ")
        .append(v.state());
    if (v.reportedAt() != null) {
      t.append("; ").append(v.packages()).append(' ').append(v.format()).append(" package(s) of ")
          .append(v.release() == null ? "an unknown release" : v.release())
          .append(" reported ").append(v.reportedAt());
    }
    t.append('\n');
    VulnText.feedsAndMessages(t, v.feeds(), v.messages());
    if (!v.ports().isEmpty()) {
      t.append(String.format(PORT, "PORT", "ADDRESS", "PROCESS", "PACKAGE", "FINDINGS"))
          .append('\n');
      for (ExposedPort p : v.ports()) {
        t.append(Output.printable(String.format(PORT, p.protocol() + "/" + p.port(),
            p.address(), p.process() == null ? "?" : p.process(),
            p.owner() == null ? "(no package)" : p.owner(), p.findings()))).append('\n');
      }
    }
    if (v.findings().isEmpty()) {
      t.append(DeviceVulnerabilities.ASSESSED.equals(v.state()) ? "No known vulnerability."
          : "No findings: not a clean bill (" + v.state() + ").");
      return t.toString();
    }
    t.append(String.format(ROW, "ADVISORY", "SEVERITY", "PACKAGE", "INSTALLED", "FIXED",
        "REACHABLE THROUGH"));
    for (VulnFinding f : v.findings()) {
      String cves = f.cves().stream().filter(c -> !f.advisoryId().endsWith(c))
          .collect(Collectors.joining(","));
      t.append('\n').append(Output.printable(String.format(ROW,
          f.advisoryId() + (cves.isEmpty() ? "" : " " + cves),
          f.severity() + (f.score() == null ? "" : " " + f.score()), f.packageName(),
          f.version(), f.fixedVersion() == null ? "(no fix)" : f.fixedVersion(),
          f.reachable() ? f.reachableThrough().stream().map(Reach::label)
              .collect(Collectors.joining(", ")) : "dormant")));
    }
    return t.toString();
  }
}
