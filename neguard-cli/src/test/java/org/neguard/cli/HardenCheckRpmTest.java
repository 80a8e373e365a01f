package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
import org.neguard.testing.RpmAdvisories;
import org.neguard.testing.RpmDatabase;

/**
 * {@code harden check} of rpm NEs (issue 16, HRD-3): a real rpm database built with rpmbuild
 * (a RHEL 9.4 NE with openssl 1:3.0.1-43.el9_0, whose executable serves tcp/4433), judged
 * against Red Hat's RHSA-2023:0946 as published, given with {@code --rpmdb} and as the NE's
 * agent reported it to a real server on loopback ({@code --device}, socket owners by {@code
 * rpm -qf}); an rpm NE whose distribution no rpm advisories are matched for is never a pass.
 */
@DisplayName("HRD-3 harden check of rpm NEs")
class HardenCheckRpmTest {
  static final String EXE = "/usr/sbin/ngtest-tlsd";
  static OperatorServer server;
  static Path dir;
  static Path rpmdb;
  static Path inventory;
  static Path db;
  static Path policy;
  static ObservedPort tls;

  @BeforeAll
  static void start() throws Exception {
    server = OperatorServer.start("neguard-harden-rpm-");
    dir = server.dir;

    // openssl below the fix owns the listening daemon's executable; openssl-perl is at the fix.
    rpmdb = RpmDatabase.build(dir.resolve("rhel"), List.of(
        new RpmDatabase.Spec("openssl", 1, "3.0.1", "43.el9_0", null, List.of("openssl-devel"),
            List.of(EXE)),
        new RpmDatabase.Spec("openssl-perl", 1, "3.0.1", "47.el9_1", null, List.of())));
    tls = new ObservedPort(Transport.TCP, "0.0.0.0", 4433, PortState.OPEN, "ssl", null,
        new ProcessInfo(4242, "ngtest-tlsd", EXE, "root"), List.of());
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    inventory = Files.write(dir.resolve("inventory.json"), ObservationCodec.encode(
        new Observation("inventory", "ne-rpm", "ne-rpm", "NEGuard", now, now, true, Map.of(),
            List.of(tls), List.of())));
    server.enroll("ne-rpm").reportPackages(new PackageInventory(new AgentConfig.Packages(
        dir.resolve("no-dpkg"), RpmAdvisories.osRelease(dir.resolve("os-rhel"), "rhel", "9.4"),
        rpmdb)).take(List.of(tls)));
    server.enroll("ne-sles").reportPackages(new PackageInventory(new AgentConfig.Packages(
        dir.resolve("no-dpkg"), RpmAdvisories.osRelease(dir.resolve("os-sles"), "sles",
            "15.5"), rpmdb)).take(List.of(tls)));
    db = dir.resolve("vulndb");
    CliRun imported = CliRun.of("vulndb", "import", "--db", db.toString(),
        RpmAdvisories.redHatFeed(dir, "redhat-9", now).toString());
    assertThat(imported.exit()).as("%s", imported).isZero();
    policy = Files.writeString(dir.resolve("ne.yaml"), """
        schema: neguard-hardening-policy/1
        neType: mme
        allowed:
          - {transport: tcp, port: 4433, service: ssl, justification: the TLS service under assessment}
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

  @Test
  @DisplayName("HRD-3 a RHEL 9.4 rpm database given with --rpmdb: openssl and openssl-devel"
      + " below RHSA-2023:0946's fix are findings (openssl reachable through tcp/4433 by the"
      + " owner rpm -qf names), HRD-3 FAIL, exit 3, nothing inconclusive; the HTML, JSON and"
      + " JUnit evidence name the rpm database, how it was read, and rpm's version order")
  void check_rpmdb_findingReachableWithEvidence() throws Exception {
    Path report = dir.resolve("evidence-rpmdb");
    CliRun r = check("--rpmdb", rpmdb.toString(), "--release", "Red Hat:9.4", "--report",
        report.toString());
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    JsonNode j = r.json();
    assertThat(j.at("/requirements/HRD-3").asText()).as("%s", r).isEqualTo("FAIL");
    assertThat(j.path("reasons").findValuesAsText("code")).as("%s", r)
        .containsOnly("KNOWN_VULNERABILITY");
    assertThat(HardenCheckDeviceTest.findings(j)).as("%s", r).hasSize(2)
        .anySatisfy(f -> assertThat(f).startsWith(RpmAdvisories.RHSA + " openssl FAILING")
            .contains("tcp/4433", EXE))
        .anySatisfy(f -> assertThat(f).startsWith(RpmAdvisories.RHSA + " openssl-devel "));
    JsonNode v = j.at("/evidence/vulnerabilities");
    assertThat(v.path("packages").asText()).contains(rpmdb.toString(), "given with --rpmdb",
        "rpm database read with rpm -qa", "3 installed rpm packages");
    assertThat(v.path("release").asText()).isEqualTo("Red Hat:9.4");
    assertThat(v.path("method").asText()).contains("rpm's version order");
    assertThat(Files.readString(report.resolve("hardening-report.html"))).contains(
        "given with --rpmdb", "rpm&#39;s version order", RpmAdvisories.RHSA);
    assertThat(Files.readString(report.resolve("hardening-junit.xml"))).contains(
        "given with --rpmdb", "rpm's version order", "KNOWN_VULNERABILITY");
  }

  @Test
  @DisplayName("HRD-3 the rpm NE's list as its agent reported it to the server (--device) is"
      + " judged as its rpm database given with --rpmdb: the same findings, the same way in"
      + " through the socket owner the agent read with rpm -qf; the evidence names the report")
  void check_device_rpm_sameJudgementAsRpmdb() {
    CliRun file = check("--rpmdb", rpmdb.toString(), "--release", "Red Hat:9.4");
    CliRun device = check("--server", server.url, "--device", "ne-rpm");
    assertThat(device.exit()).as("%s", device).isEqualTo(3);
    JsonNode j = device.json();
    assertThat(j.at("/requirements/HRD-3").asText()).as("%s", device).isEqualTo("FAIL");
    assertThat(j.path("reasons").findValuesAsText("code")).containsOnly("KNOWN_VULNERABILITY");
    assertThat(HardenCheckDeviceTest.findings(j))
        .isEqualTo(HardenCheckDeviceTest.findings(file.json())).anySatisfy(f -> assertThat(f)
        .startsWith(RpmAdvisories.RHSA + " openssl FAILING").contains("tcp/4433", EXE));
    assertThat(j.at("/evidence/vulnerabilities/packages").asText()).contains(
        "the 3 rpm packages ne-rpm (mme) reported to");
    assertThat(j.at("/evidence/vulnerabilities/release").asText()).isEqualTo("Red Hat:9.4");
  }

  @Test
  @DisplayName("HRD-3 an rpm NE of a distribution no rpm advisories are matched for (SUSE Linux"
      + " Enterprise 15.5) is not assessed: SCAN_INCOMPLETE saying why and what to do, exit 3,"
      + " never a pass")
  void check_device_slesRpm_notAssessed() {
    CliRun r = check("--server", server.url, "--device", "ne-sles");
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.json().path("reasons").findValuesAsText("code")).as("%s", r)
        .containsExactly("SCAN_INCOMPLETE");
    assertThat(r.out()).contains("Sles:15.5", "SUSE Linux Enterprise not yet",
        "not assessed", "distribution's own scanner").doesNotContain("PASS");
  }

  @Test
  @DisplayName("HRD-3 --rpmdb naming no rpm database (missing, run as root; an empty directory;"
      + " an empty database file) or one listing no package (rpm --initdb) is never assessed"
      + " as clean: exit 3 SCAN_INCOMPLETE, rpm never run where it would create a database; an"
      + " NE whose agent reads such a database reports no list: SCAN_INCOMPLETE with --device")
  void check_rpmdb_missingOrEmpty_scanIncomplete() throws Exception {
    Path dbs = dir.resolve("no-packages");
    List<Object[]> cases = VulnCheckRpmTest.noPackages(dbs);
    for (Object[] c : cases) {
      CliRun r = check("--rpmdb", c[0].toString(), "--release", "Red Hat:9.4");
      assertThat(r.exit()).as("%s", r).isEqualTo(3);
      assertThat(r.json().path("reasons")).as("%s", r).singleElement().satisfies(x -> {
        assertThat(x.path("code").asText()).isEqualTo("SCAN_INCOMPLETE");
        assertThat(x.path("message").asText()).contains(c[0].toString(), (String) c[1],
            "nothing was assessed");
      });
    }
    // the agent's two checks: before rpm (a missing database) and after it (an empty one)
    for (Object[] c : List.of(cases.get(0), cases.get(cases.size() - 1))) {
      String id = "ne-rpm-none-" + cases.indexOf(c);
      PackageReport report = new PackageInventory(new AgentConfig.Packages(
          dir.resolve("no-dpkg"), RpmAdvisories.osRelease(dir.resolve("os-" + id), "rhel",
              "9.4"), (Path) c[0])).take(List.of(tls));
      assertThat(report.format()).as("%s", c[0]).isEqualTo(PackageReport.NONE);
      server.enroll(id).reportPackages(report);
      CliRun r = check("--server", server.url, "--device", id);
      assertThat(r.exit()).as("%s", r).isEqualTo(3);
      assertThat(r.json().path("reasons").findValuesAsText("code")).as("%s", r)
          .containsExactly("SCAN_INCOMPLETE");
      assertThat(r.out()).as("%s", r).contains("neither dpkg nor rpm").doesNotContain("PASS");
    }
    VulnCheckRpmTest.nothingCreated(dbs);
  }

  @Test
  @DisplayName("HRD-3 the release from an os-release file (--os-release; this host's"
      + " /etc/os-release for its own rpm database), named as the agent names it: ID=rhel"
      + " VERSION_ID=9.4 judges the database as --release 'Red Hat:9.4' does; an os-release of"
      + " no rpm distribution (SLES, Debian) or of none, and --release with it, are usage errors")
  void check_rpmdb_releaseFromOsRelease() throws Exception {
    CliRun given = check("--rpmdb", rpmdb.toString(), "--release", "Red Hat:9.4");
    CliRun read = check("--rpmdb", rpmdb.toString(), "--os-release",
        RpmAdvisories.osRelease(dir.resolve("os-release-rhel"), "rhel", "9.4").toString());
    assertThat(read.exit()).as("%s", read).isEqualTo(3);
    assertThat(read.json().at("/evidence/vulnerabilities/release").asText())
        .isEqualTo("Red Hat:9.4");
    assertThat(HardenCheckDeviceTest.findings(read.json())).hasSize(2)
        .isEqualTo(HardenCheckDeviceTest.findings(given.json()));

    for (String[] os : new String[][] {{"sles", "15.5", "Sles:15.5"},
        {"debian", "12", "Debian:12"}}) {
      Path file = RpmAdvisories.osRelease(dir.resolve("os-release-" + os[0]), os[0], os[1]);
      CliRun r = check("--rpmdb", rpmdb.toString(), "--os-release", file.toString());
      assertThat(r.exit()).as("%s", r).isEqualTo(2);
      assertThat(r.err()).contains(file + " names " + os[2], "no rpm distribution's",
          "give --release");
    }
    Path none = Files.writeString(dir.resolve("os-release-none"), "NAME=\"Linux\"\n");
    CliRun unknown = check("--rpmdb", rpmdb.toString(), "--os-release", none.toString());
    assertThat(unknown.exit()).as("%s", unknown).isEqualTo(2);
    assertThat(unknown.err()).contains(none + " names no ID and VERSION_ID", "give --release");
    CliRun neither = check("--rpmdb", rpmdb.toString());
    assertThat(neither.exit()).as("%s", neither).isEqualTo(2);
    assertThat(neither.err()).contains("needs --release", "--os-release FILE");
    CliRun both = check("--rpmdb", rpmdb.toString(), "--release", "Red Hat:9.4",
        "--os-release", none.toString());
    assertThat(both.exit()).as("%s", both).isEqualTo(2);
    assertThat(both.err()).contains("--release and --os-release exclude each other");
    CliRun device = check("--server", server.url, "--device", "ne-rpm", "--os-release",
        none.toString());
    assertThat(device.exit()).as("%s", device).isEqualTo(2);
    assertThat(device.err()).contains("--os-release does not go with --device");
  }

  @Test
  @DisplayName("HRD-3 --rpmdb with --dpkg-status, --cpe-only or --device, without --vulndb, or"
      + " with a release that is no rpm distribution's: usage errors naming the options")
  void check_rpmdbUsage_refused() {
    CliRun dpkg = check("--rpmdb", rpmdb.toString(), "--release", "Red Hat:9.4",
        "--dpkg-status", "/var/lib/dpkg/status");
    assertThat(dpkg.exit()).as("%s", dpkg).isEqualTo(2);
    assertThat(dpkg.err()).contains("--rpmdb and --dpkg-status exclude each other");
    CliRun cpe = check("--rpmdb", rpmdb.toString(), "--cpe-only");
    assertThat(cpe.exit()).as("%s", cpe).isEqualTo(2);
    assertThat(cpe.err()).contains("--rpmdb and --cpe-only exclude each other");
    CliRun device = check("--server", server.url, "--device", "ne-rpm", "--rpmdb",
        rpmdb.toString());
    assertThat(device.exit()).as("%s", device).isEqualTo(2);
    assertThat(device.err()).contains("--device and --rpmdb exclude each other");
    CliRun noDb = CliRun.of("harden", "check", "--policy", policy.toString(), "--inventory",
        inventory.toString(), "--rpmdb", rpmdb.toString());
    assertThat(noDb.exit()).as("%s", noDb).isEqualTo(2);
    assertThat(noDb.err()).contains("--rpmdb belongs to the vulnerability assessment");
    CliRun debian = check("--rpmdb", rpmdb.toString(), "--release", "Debian:12");
    assertThat(debian.exit()).as("%s", debian).isEqualTo(2);
    assertThat(debian.err()).contains("'Debian:12' is no rpm distribution");
  }
}
