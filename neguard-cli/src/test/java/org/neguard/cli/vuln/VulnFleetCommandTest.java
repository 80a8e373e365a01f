package org.neguard.cli.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.api.vuln.DeviceVulnSummary;
import org.neguard.api.vuln.FeedDate;
import org.neguard.api.vuln.FleetAdvisory;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.vuln.Severity;
import picocli.CommandLine;

/**
 * {@code neguard vuln fleet}'s table and its severity filter, on the server's answer as the wire
 * record carries it (the command against a real server and agent: the quickstart's step 22 in
 * {@code ServerCliTest}).
 */
class VulnFleetCommandTest {
  static final FleetAdvisory TELNETD = new FleetAdvisory("DEBIAN-CVE-2026-24061",
      List.of("CVE-2026-24061"), "CRITICAL", 9.8, "inetutils-telnetd", "2:2.4-2+deb12u2", 3, 1,
      List.of("mme-1", "mme-2", "mme-3"));
  static final FleetAdvisory UNGRADED = new FleetAdvisory("DEBIAN-CVE-2026-28372",
      List.of("CVE-2026-28372"), "UNKNOWN", null, "inetutils-telnetd", "2:2.4-2+deb12u3", 3, 1,
      List.of("mme-1", "mme-2", "mme-3"));
  static final FleetAdvisory MEDIUM = new FleetAdvisory("GHSA-xxxx-yyyy-zzzz",
      List.of("CVE-2025-1", "CVE-2025-2"), "MEDIUM", 5.3, "libfoo", null, 1, 0,
      List.of("mme-2"));

  static FleetVulnerabilities fleet(List<FleetAdvisory> advisories) {
    return new FleetVulnerabilities("ASSESSED", List.of(new FeedDate("debian.zip", "osv",
        "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", 60000)), List.of(), List.of(
            new DeviceVulnSummary("mme-1", "mme", "ASSESSED", 2, 1, 0, 1, 0, 1, 3, null),
            new DeviceVulnSummary("mme-9", "mme", "NO_REPORT", 0, 0, 0, 0, 0, 0, 0, null)),
        advisories);
  }

  @Test
  @DisplayName("HRD-3 the fleet table: one row per advisory with its other CVE ids, severity and"
      + " score, package, NEs affected (reachable), fixed version or '(no fix)'; the NEs not"
      + " assessed named apart, not counted as clean")
  void text_rowPerAdvisory() {
    String t = VulnFleetCommand.text(fleet(List.of(TELNETD, UNGRADED, MEDIUM)), null);
    assertThat(t).startsWith("Fleet: ASSESSED; 2 NE(s)\nFeed debian.zip (osv, 60000 records)");
    assertThat(t).containsPattern("ADVISORY +SEVERITY +PACKAGE +NES \\(REACHABLE\\) +FIXED");
    assertThat(t).containsPattern("DEBIAN-CVE-2026-24061 +CRITICAL 9.8 +inetutils-telnetd"
        + " +3 \\(1\\) +2:2.4-2\\+deb12u2");
    assertThat(t).containsPattern("GHSA-xxxx-yyyy-zzzz CVE-2025-1,CVE-2025-2 +MEDIUM 5.3"
        + " +libfoo +1 \\(0\\) +\\(no fix\\)");
    assertThat(t).contains("Not assessed (not counted above):\n  mme-9 (mme): NO_REPORT");
    assertThat(t).doesNotContain("mme-1 (mme)");
  }

  @Test
  @DisplayName("HRD-3 --severity high keeps high and critical advisories and the ungraded ones"
      + " (UNKNOWN reaches every threshold), drops medium; nothing left says so, never 'clean'"
      + " when the database is missing")
  void severity_filters() {
    assertThat(VulnFleetCommand.at(List.of(TELNETD, UNGRADED, MEDIUM), Severity.HIGH))
        .containsExactly(TELNETD, UNGRADED);
    assertThat(VulnFleetCommand.at(List.of(TELNETD, UNGRADED, MEDIUM), Severity.CRITICAL))
        .containsExactly(TELNETD, UNGRADED);
    assertThat(VulnFleetCommand.at(List.of(TELNETD, UNGRADED, MEDIUM), null))
        .containsExactly(TELNETD, UNGRADED, MEDIUM);
    assertThat(VulnFleetCommand.text(fleet(List.of()), Severity.HIGH))
        .contains("No known vulnerability at or above high on an assessed NE.");
    FleetVulnerabilities none = new FleetVulnerabilities("NO_DATABASE", List.of(),
        List.of("no database: neguard vulndb import"), List.of(), List.of());
    assertThat(VulnFleetCommand.text(none, null))
        .contains("! no database: neguard vulndb import")
        .contains("No findings: not a clean bill (NO_DATABASE).");
  }

  @Test
  @DisplayName("HRD-3 --severity urgent is a usage error (exit 2) naming the accepted values,"
      + " before any server is asked")
  void severity_unknown_usageError() {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new VulnFleetCommand());
    cl.setErr(new PrintWriter(err, true));
    cl.setOut(new PrintWriter(new StringWriter(), true));
    assertThat(cl.execute("--severity", "urgent", "--server", "http://127.0.0.1:9"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--severity: 'urgent' is not low, medium, high or"
        + " critical");
  }
}
