package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.Transport;
import org.neguard.harden.inventory.LocalInventory;
import org.neguard.harden.vuln.VulnFixtures;
import org.neguard.progress.ProgressListener;
import org.neguard.testing.NetnsHost;
import org.neguard.testing.RequiredProgram;
import org.neguard.vuln.VulnDb;

/**
 * HRD-3 judged on both halves by {@code neguard harden check --vulndb}: a local inventory of
 * Debian's inetutils-inetd serving telnet in a network namespace of the test's own, this
 * machine's real dpkg database (inetutils 2:2.4-2+deb12u3, which carries the fixes for
 * CVE-2026-24061 and CVE-2026-28372), and neguard-vuln's OSV fixtures imported with
 * VulnDb.importFeeds (their sources: neguard-vuln/src/test/resources/org/neguard/vuln/osv/
 * SOURCES.md).
 */
class HardenCheckVulnTest {
  @TempDir static Path dir;
  static Path inventory;
  static Path db;
  static Path staleDb;
  static Path policy;

  @BeforeAll
  static void setUp() throws Exception {
    String inetd = RequiredProgram.require("inetutils-inetd").toString();
    RequiredProgram.require("telnetd");
    RequiredProgram.require("ip");
    Path conf = Files.writeString(dir.resolve("inetd.conf"),
        "telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n");
    try (NetnsHost ns = NetnsHost.create()) {
      NetnsHost.Daemon d = ns.start("inetd", inetd, "-d", conf.toString());
      ns.awaitListening(d, Transport.TCP, 23, Duration.ofSeconds(10));
      Observation o = LocalInventory.ofNamespaceOf(d.pid()).takeWithMachineId();
      inventory = Files.write(dir.resolve("inventory.json"), ObservationCodec.encode(o));
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    db = dir.resolve("vulndb");
    VulnDb.importFeeds(db, List.of(VulnFixtures.feed(Files.createDirectories(
        dir.resolve("feed")), "debian-12-osv.zip", now)), ProgressListener.NONE);
    // The fixtures as written, dated 2026-11-20: older than 7 days from 2026-11-28 on.
    staleDb = dir.resolve("stale-vulndb");
    VulnDb.importFeeds(staleDb, List.of(VulnFixtures.feed(Files.createDirectories(
        dir.resolve("stale-feed")), "debian-12-osv.zip", null)), ProgressListener.NONE);
    policy = Files.writeString(dir.resolve("ne.yaml"), """
        schema: neguard-hardening-policy/1
        neType: lab-ne
        allowed:
          - {transport: tcp, port: 23, service: telnet, justification: the service under assessment}
        waivers:
          - {rule: telnet, transport: tcp, port: 23, reason: "lab NE: the telnetd under vulnerability assessment"}
        """);
  }

  /** The installed version of a package, as dpkg itself says (the outside checker). */
  static String installed(String pkg) throws Exception {
    Process p = new ProcessBuilder(RequiredProgram.require("dpkg-query").toString(), "-W",
        "-f=${Version}", pkg).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  /**
   * This machine's dpkg database with every inetutils package at {@code version}, its info/
   * directory beside it (a link to the real one), as an NE's copied here would be.
   */
  static Path statusWithInetutilsAt(String version) throws Exception {
    return statusWithInetutilsAt(dir, version);
  }

  /** {@link #statusWithInetutilsAt(String)} in {@code under}. */
  static Path statusWithInetutilsAt(Path under, String version) throws Exception {
    Path d = Files.createDirectories(under.resolve("dpkg-" + version.replace(':', '_')));
    Path info = d.resolve("info");
    if (!Files.exists(info)) {
      Files.createSymbolicLink(info, Path.of("/var/lib/dpkg/info"));
    }
    List<String> out = new ArrayList<>();
    for (String paragraph : Files.readString(Path.of("/var/lib/dpkg/status")).split("\n\n")) {
      out.add(paragraph.startsWith("Package: inetutils-")
          ? paragraph.replaceFirst("(?m)^Version: .*$", "Version: " + version) : paragraph);
    }
    return Files.writeString(d.resolve("status"), String.join("\n\n", out));
  }

  static List<String> findings(JsonNode j, String field) {
    List<String> out = new ArrayList<>();
    j.at("/evidence/vulnerabilities/findings").forEach(f -> out.add(f.path(field).asText()
        + " " + f.path("package").asText()));
    return out;
  }

  @Test
  @DisplayName("HRD-3 this host's inventory and its own dpkg database (the default): inetutils"
      + " 2:2.4-2+deb12u3 is not reported for CVE-2026-24061, its fix backported; the"
      + " vulnerability half passes, HRD-3 stays NOT_TESTED for want of a port scan")
  void check_thisHost_backportedFixNotReported() throws Exception {
    assertThat(installed("inetutils-telnetd")).isEqualTo("2:2.4-2+deb12u3");
    CliRun r = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode j = r.json();
    assertThat(j.at("/evidence/vulnerabilities/verdict").asText()).isEqualTo("PASS");
    assertThat(j.at("/evidence/vulnerabilities/packages").asText())
        .contains("/var/lib/dpkg/status", "this host's");
    assertThat(j.at("/evidence/vulnerabilities/components").asInt()).isGreaterThan(100);
    assertThat(j.at("/evidence/vulnerabilities/findings").toString())
        .doesNotContain("CVE-2026-24061");
    assertThat(j.at("/requirements/HRD-3").asText()).isEqualTo("NOT_TESTED");
    assertThat(j.at("/evidence/requirements/2/actual").asText())
        .contains("Vulnerability assessment PASS");
  }

  @Test
  @DisplayName("HRD-3 the same host's dpkg database edited to inetutils 2:2.4-2+deb12u1: exit 3,"
      + " KNOWN_VULNERABILITY for CVE-2026-24061 and CVE-2026-28372, inetd's reachable through"
      + " tcp/23 and its process; the evidence (HTML, JSON, JUnit) names them, the feed and its"
      + " date, and the matching method")
  void check_oldRevision_reportedReachableWithEvidence() throws Exception {
    Path status = statusWithInetutilsAt("2:2.4-2+deb12u1");
    Path report = dir.resolve("evidence-old");
    CliRun r = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", status.toString(),
        "--report", report.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    JsonNode j = r.json();
    assertThat(j.at("/requirements/HRD-3").asText()).isEqualTo("FAIL");
    assertThat(j.path("reasons").findValuesAsText("code")).containsOnly("KNOWN_VULNERABILITY");
    assertThat(findings(j, "advisory")).contains(
        "DEBIAN-CVE-2026-24061 inetutils-inetd", "DEBIAN-CVE-2026-28372 inetutils-inetd",
        "DEBIAN-CVE-2026-24061 inetutils-telnetd", "DEBIAN-CVE-2026-28372 inetutils-telnetd")
        .doesNotContain("DEBIAN-CVE-2023-40303 inetutils-telnetd");
    JsonNode first = j.at("/evidence/vulnerabilities/findings/0");
    assertThat(first.path("package").asText()).isEqualTo("inetutils-inetd");
    assertThat(first.at("/reachableThrough/0/port").asText()).isEqualTo("tcp/23");
    assertThat(first.at("/reachableThrough/0/process").asText()).isEqualTo("inetutils-inetd");
    assertThat(first.at("/reachableThrough/0/executable").asText())
        .isEqualTo("/usr/sbin/inetutils-inetd");
    assertThat(j.path("reasons").toString()).contains("reachable through tcp/23",
        "fixed in 2:2.4-2+deb12u2");
    String html = Files.readString(report.resolve("hardening-report.html"));
    assertThat(html).contains("DEBIAN-CVE-2026-24061", "CVE-2026-28372", "tcp/23",
        "debian-12-osv.zip", "How matching was done", "2:2.4-2+deb12u1");
    String junit = Files.readString(report.resolve("hardening-junit.xml"));
    assertThat(junit).contains("TC_BVT_VULNERABILITY_SCANNING", "KNOWN_VULNERABILITY",
        "feed.debian-12-osv.zip");

    CliRun text = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", status.toString());
    assertThat(text.exit()).isEqualTo(3);
    assertThat(text.out()).contains("vulnerabilities FAIL", "FAILING",
        "DEBIAN-CVE-2026-24061", "via tcp/23 (inetutils-inetd)");
  }

  @Test
  @DisplayName("HRD-3 waivers with reasons in the policy accept those findings (shown WAIVED with"
      + " the reason), --fail-on critical still fails on findings no feed grades")
  void check_waivedAndThreshold() throws Exception {
    Path status = statusWithInetutilsAt("2:2.4-2+deb12u1");
    Path waiving = Files.writeString(dir.resolve("waiving.yaml"), Files.readString(policy) + """
        vulnerabilityWaivers:
          - {id: CVE-2026-24061, reason: "telnet only on the isolated lab VLAN", reference: RISK-1}
          - {id: DEBIAN-CVE-2026-28372, reason: "the same lab VLAN"}
        """);
    CliRun r = HardenCli.check("--policy", waiving.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", status.toString(),
        "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(findings(r.json(), "status")).allSatisfy(s -> assertThat(s).startsWith("WAIVED"));
    assertThat(r.json().at("/evidence/vulnerabilities/findings").toString())
        .contains("telnet only on the isolated lab VLAN");
    CliRun critical = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", status.toString(),
        "--fail-on", "critical", "--json");
    assertThat(critical.exit()).as("%s", critical).isEqualTo(3);
    assertThat(critical.json().at("/evidence/vulnerabilities/failOn").asText())
        .isEqualTo("CRITICAL");
  }

  @Test
  @DisplayName("HRD-3 --dpkg-status listing no installed package is never assessed as clean:"
      + " exit 3 SCAN_INCOMPLETE naming the file and what to give")
  void check_emptyDpkgStatus_scanIncomplete() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty-dpkg")).resolve("status");
    Files.writeString(empty, "");
    CliRun r = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", empty.toString(),
        "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
      assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
      assertThat(x.path("message").asText()).contains(empty.toString(),
          "lists no installed package", "nothing was assessed");
    });
  }

  @Test
  @DisplayName("HRD-3 a release the database has no advisories for (an Ubuntu host's"
      + " os-release, Debian's feed) is never a pass, even for inetutils at a vulnerable"
      + " revision: HRD-3 INCONCLUSIVE, SCAN_INCOMPLETE naming the release and what to give")
  void check_releaseNotCovered_inconclusive() throws Exception {
    Path status = statusWithInetutilsAt("2:2.4-2+deb12u1");
    Path ubuntu = Files.writeString(dir.resolve("os-release-ubuntu"),
        "ID=ubuntu\nVERSION_ID=\"22.04\"\n");
    CliRun r = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--dpkg-status", status.toString(),
        "--os-release", ubuntu.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().at("/requirements/HRD-3").asText()).isEqualTo("INCONCLUSIVE");
    assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
      assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
      assertThat(x.path("message").asText()).contains("holds no advisories for Ubuntu:22.04",
          "import that release's feed", "--release");
    });
  }

  @Test
  @DisplayName("HRD-3 a stale vulnerability database (older than --max-vulndb-age, 7 days by"
      + " default) is not a pass: HRD-3 INCONCLUSIVE with SCAN_POLICY, exit 3")
  void check_staleDatabase_inconclusive() throws Exception {
    CliRun r = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", staleDb.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().at("/requirements/HRD-3").asText()).isEqualTo("INCONCLUSIVE");
    assertThat(r.json().path("reasons").findValuesAsText("code")).containsExactly("SCAN_POLICY");
    assertThat(r.json().path("reasons").toString()).contains("2026-11-20",
        "neguard vulndb import");
    CliRun allowed = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", staleDb.toString(), "--max-vulndb-age", "3650d");
    assertThat(allowed.exit()).as("%s", allowed).isZero();
  }

  @Test
  @DisplayName("HRD-3 bad usage is refused, naming the argument: a remote observation without a"
      + " package list, --fail-on medium, assessment options without --vulndb, --cpe-only with"
      + " --dpkg-status; a directory holding no database is no pass")
  void check_badUsage() throws Exception {
    Path remote = Files.writeString(dir.resolve("remote.json"), """
        {"source":"scan","host":"192.0.2.7","scanner":"oam","tool":"NEGuard 0.1.0",
         "started":"2026-12-04T10:00:00Z","finished":"2026-12-04T10:01:00Z","complete":true,
         "parameters":{},"ports":[{"transport":"TCP","address":"192.0.2.7","port":22,
         "state":"OPEN","service":"ssh","evidence":"banner SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
         "process":null,"snmp":[],"cpe":"cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*"}],
         "notes":[]}
        """);
    CliRun noStatus = HardenCli.check("--policy", policy.toString(), "--inventory",
        remote.toString(), "--vulndb", db.toString());
    assertThat(noStatus.exit()).as("%s", noStatus).isEqualTo(2);
    assertThat(noStatus.err()).contains("--dpkg-status FILE", "--cpe-only", "192.0.2.7");
    CliRun cpeOnly = HardenCli.check("--policy", policy.toString(), "--inventory",
        remote.toString(), "--vulndb", db.toString(), "--cpe-only", "--json");
    assertThat(cpeOnly.exit()).as("%s", cpeOnly).isEqualTo(3);
    // No NVD feed in this database: the identified OpenSSH cannot be assessed, never a pass.
    assertThat(cpeOnly.json().at("/requirements/HRD-3").asText()).isEqualTo("INCONCLUSIVE");
    assertThat(cpeOnly.json().at("/evidence/vulnerabilities/notes").toString())
        .contains("cannot see a fix", "backported");
    assertThat(cpeOnly.json().path("reasons").toString()).contains("holds no NVD feed");

    CliRun nmap = HardenCli.check("--policy", policy.toString(), "--nmap-xml",
        dir.resolve("never-read.xml").toString(), "--host", "192.0.2.7", "--vulndb",
        db.toString());
    assertThat(nmap.exit()).as("%s", nmap).isEqualTo(2);
    assertThat(nmap.err()).contains("--dpkg-status FILE");

    CliRun medium = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", db.toString(), "--fail-on", "medium");
    assertThat(medium.exit()).isEqualTo(2);
    assertThat(medium.err()).contains("--fail-on 'medium'");
    CliRun noDb = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--dpkg-status", "/var/lib/dpkg/status");
    assertThat(noDb.exit()).isEqualTo(2);
    assertThat(noDb.err()).contains("--dpkg-status", "--vulndb DIR");
    CliRun both = HardenCli.check("--policy", policy.toString(), "--inventory",
        remote.toString(), "--vulndb", db.toString(), "--cpe-only", "--dpkg-status",
        "/var/lib/dpkg/status");
    assertThat(both.exit()).isEqualTo(2);
    CliRun empty = HardenCli.check("--policy", policy.toString(), "--inventory",
        inventory.toString(), "--vulndb", Files.createDirectories(dir.resolve("empty"))
            .toString(), "--json");
    assertThat(empty.exit()).as("%s", empty).isNotZero();
    assertThat(empty.out() + empty.err()).contains("holds no vulnerability database");
  }
}
