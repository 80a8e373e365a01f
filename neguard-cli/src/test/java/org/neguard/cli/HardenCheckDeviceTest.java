package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.PackageInventory;
import org.neguard.api.device.PackageReport;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.harden.vuln.VulnFixtures;
import org.neguard.progress.ProgressListener;
import org.neguard.vuln.VulnDb;

/**
 * {@code harden check --server URL --device ID} against a real server on loopback (issue 16,
 * HRD-3): an NE enrolled through the real device client reports this machine's dpkg database
 * (inetutils at 2:2.4-2+deb12u1) with the agent's own code; the check fetches that list with
 * an operator's token and judges it exactly as the same list given with {@code --dpkg-status};
 * an NE that never reported, a report older than {@code --max-report-age} and an unknown NE are
 * refusals, never a pass.
 */
@DisplayName("HRD-3 harden check on an NE's package list as reported to the server")
class HardenCheckDeviceTest {
  static OperatorServer server;
  static Path dir;
  static String url;
  static Path operator;
  static Path status;
  static Path inventory;
  static Path db;
  static Path policy;

  @BeforeAll
  static void start() throws Exception {
    server = OperatorServer.start("neguard-harden-device-");
    dir = server.dir;
    url = server.url;
    operator = server.operator;

    status = HardenCheckVulnTest.statusWithInetutilsAt(dir, "2:2.4-2+deb12u1");
    ObservedPort telnet = new ObservedPort(Transport.TCP, "0.0.0.0", 23, PortState.OPEN,
        "telnet", null, new ProcessInfo(4242, "inetutils-inetd", "/usr/sbin/inetutils-inetd",
            "root"), List.of());
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    inventory = Files.write(dir.resolve("inventory.json"), ObservationCodec.encode(
        new Observation("inventory", "ne-1", "ne-1", "NEGuard", now, now, true, Map.of(),
            List.of(telnet), List.of())));
    server.enroll("ne-1").reportPackages(new PackageInventory(new AgentConfig.Packages(
        status.getParent(), Path.of("/etc/os-release"))).take(List.of(telnet)));
    server.enroll("ne-never");
    db = dir.resolve("vulndb");
    VulnDb.importFeeds(db, List.of(VulnFixtures.feed(Files.createDirectories(
        dir.resolve("feed")), "debian-12-osv.zip", now)), ProgressListener.NONE);
    policy = Files.writeString(dir.resolve("ne.yaml"), """
        schema: neguard-hardening-policy/1
        neType: mme
        allowed:
          - {transport: tcp, port: 23, service: telnet, justification: the service under assessment}
        waivers:
          - {rule: telnet, transport: tcp, port: 23, reason: "lab NE: the telnetd under vulnerability assessment"}
        """);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  static CliRun check(String... args) {
    return server.hardenCheck(policy, inventory, db, args);
  }

  static List<String> findings(JsonNode j) {
    List<String> out = new ArrayList<>();
    j.at("/evidence/vulnerabilities/findings").forEach(f -> out.add(f.path("advisory").asText()
        + " " + f.path("package").asText() + " " + f.path("status").asText() + " "
        + f.path("reachableThrough").toString()));
    return out;
  }

  @Test
  @DisplayName("HRD-3 the NE's reported list is judged as the same list given with"
      + " --dpkg-status: the same findings (inetutils at 2:2.4-2+deb12u1, reachable through"
      + " tcp/23 by the owner the agent read), exit 3; the evidence names the NE, the server,"
      + " the report's time and digest")
  void check_device_sameJudgementAsStatusFile() throws Exception {
    CliRun file = check("--dpkg-status", status.toString(), "--release", "Debian:12");
    assertThat(file.exit()).as("%s", file).isEqualTo(3);
    CliRun device = check("--server", url, "--device", "ne-1");
    assertThat(device.exit()).as("%s", device).isEqualTo(3);
    JsonNode j = device.json();
    assertThat(j.at("/requirements/HRD-3").asText()).isEqualTo("FAIL");
    assertThat(j.path("reasons").findValuesAsText("code")).containsOnly("KNOWN_VULNERABILITY");
    assertThat(findings(j)).isEqualTo(findings(file.json())).anySatisfy(f -> assertThat(f)
        .startsWith("DEBIAN-CVE-2026-24061 inetutils-inetd ")
        .contains("tcp/23", "/usr/sbin/inetutils-inetd"));
    String digest = PackageReport.digestOf(new PackageInventory(new AgentConfig.Packages(
        status.getParent(), Path.of("/etc/os-release"))).take(List.of()).packages());
    assertThat(j.at("/evidence/vulnerabilities/packages").asText()).contains("ne-1 (mme)",
        "reported to " + url.replaceAll("/$", ""), "digest " + digest);
    assertThat(j.at("/evidence/vulnerabilities/components").asInt())
        .isEqualTo(file.json().at("/evidence/vulnerabilities/components").asInt());
  }

  @Test
  @DisplayName("HRD-3 an NE that never reported its packages: SCAN_INCOMPLETE, exit 3, never"
      + " an empty pass")
  void check_neverReported_refused() {
    CliRun r = check("--server", url, "--device", "ne-never");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons").findValuesAsText("code"))
        .containsExactly("SCAN_INCOMPLETE");
    assertThat(r.out()).contains("never reported");
  }

  @Test
  @DisplayName("HRD-3 a report older than --max-report-age: SCAN_POLICY, exit 3")
  void check_oldReport_refused() throws Exception {
    Thread.sleep(1100);
    CliRun r = check("--server", url, "--device", "ne-1", "--max-report-age", "1s");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons").findValuesAsText("code")).containsExactly("SCAN_POLICY");
    assertThat(r.out()).contains("--max-report-age 1s");
  }

  @Test
  @DisplayName("HRD-3 an NE the server does not know: the server's refusal, no pass; --device"
      + " with --dpkg-status or --release, and --server without --device, are usage errors")
  void check_unknownDeviceAndUsage_refused() {
    CliRun r = check("--server", url, "--device", "no-such-ne");
    assertThat(r.exit()).as("%s", r).isNotZero();
    assertThat(r.out()).contains("no device no-such-ne");
    CliRun both = check("--server", url, "--device", "ne-1", "--dpkg-status", status.toString());
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
    CliRun release = check("--server", url, "--device", "ne-1", "--release", "Debian:11");
    assertThat(release.exit()).as("%s", release).isEqualTo(2);
    CliRun noDevice = check("--server", url, "--dpkg-status", status.toString());
    assertThat(noDevice.exit()).as("%s", noDevice).isEqualTo(2);
    assertThat(noDevice.err()).contains("belong to --device");
  }
}
