package org.neguard.server.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.PackageInventory;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.server.TestServer;
import org.neguard.server.device.TestDevice;
import org.neguard.testing.RpmAdvisories;
import org.neguard.testing.RpmDatabase;

/**
 * rpm NEs on the server (issue 16, HRD-3): package reports the real agent code reads from real
 * rpm databases (built with rpmbuild) assessed against AlmaLinux's ALSA-2023:0946 as published
 * ({@link RpmAdvisories}), in rpm's version order; a distribution without an imported feed
 * NOT_ASSESSED; an impossible rpm list refused whole, as a dpkg one is.
 */
@DisplayName("HRD-3 rpm NEs' vulnerabilities on the server")
class VulnRpmServerTest {
  static Path work;
  static TestServer s;

  @BeforeAll
  static void start() throws Exception {
    work = Files.createTempDirectory("neguard-vuln-rpm-test-");
    VulnFixture.importFeed(work.resolve("db"), RpmAdvisories.feed(work, "almalinux-9",
        Instant.now()));
    VulnFixture.importFeed(work.resolve("db"), RpmAdvisories.redHatFeed(work, "redhat-9",
        Instant.now()));
    VulnFixture.importFeed(work.resolve("db"), RpmAdvisories.openSuseFeed(work, "opensuse",
        Instant.now()));
    s = TestServer.start(null, VulnServerCases.vulnDb(work.resolve("db"), Duration.ofDays(7)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
    TestServer.delete(work);
  }

  /** What the agent reads of an NE with {@code specs} installed, running {@code id versionId}. */
  static PackageReport report(Path tmp, List<RpmDatabase.Spec> specs, String id,
      String versionId) throws Exception {
    Path db = RpmDatabase.build(tmp, specs);
    return new PackageInventory(new AgentConfig.Packages(tmp.resolve("no-dpkg"),
        RpmAdvisories.osRelease(tmp, id, versionId), db)).take(List.of());
  }

  @Test
  @DisplayName("HRD-3 AlmaLinux 9 NEs: openssl-devel below the fix by release, and by epoch"
      + " alone (a higher version without one), reported with ALSA-2023:0946's CVEs and fixed"
      + " version; openssl-perl at the fix, and above it by epoch, not")
  void almaLinux_byReleaseAndEpoch(@TempDir Path tmp) throws Exception {
    for (var c : List.of(new Object[] {"rpm-release", RpmAdvisories.BY_RELEASE,
        "1:3.0.1-43.el9_0"}, new Object[] {"rpm-epoch", RpmAdvisories.BY_EPOCH,
        "0:3.0.7-27.el9"})) {
      String id = (String) c[0];
      @SuppressWarnings("unchecked")
      PackageReport r = report(tmp.resolve(id), (List<RpmDatabase.Spec>) c[1], "almalinux",
          "9.3");
      assertThat(r.format()).as(id).isEqualTo(PackageReport.RPM);
      assertThat(r.release()).as(id).isEqualTo("AlmaLinux:9");
      TestDevice d = TestDevice.enroll(s, id, "mme");
      PackageVerdict v = d.client.reportPackages(r);
      assertThat(v.state()).as("%s %s", id, v.messages()).isEqualTo(PackageVerdict.ASSESSED);
      assertThat(v.findings()).as(id).isEqualTo(1);
      DeviceVulnerabilities out = VulnServerCases.vulns(s, id);
      assertThat(out.state()).as(id).isEqualTo(DeviceVulnerabilities.ASSESSED);
      assertThat(out.format()).as(id).isEqualTo("rpm");
      assertThat(out.packages()).as(id).isEqualTo(3);
      assertThat(out.findings()).as(id).singleElement().satisfies(f -> {
        assertThat(f.advisoryId()).isEqualTo(RpmAdvisories.ADVISORY);
        assertThat(f.packageName()).isEqualTo("openssl-devel");
        assertThat(f.version()).isEqualTo(c[2]);
        assertThat(f.fixedVersion()).isEqualTo(RpmAdvisories.FIXED);
        assertThat(f.cves()).contains("CVE-2023-0286", "CVE-2022-4450");
        assertThat(f.matchedBy()).isEqualTo("rpm-package");
      });
    }
  }

  @Test
  @DisplayName("HRD-3 a RHEL 9.4 NE (os-release ID=rhel, which names no product stream) is"
      + " assessed against every stream of its release in Red Hat's RHSA-2023:0946: openssl and"
      + " openssl-devel below the fix reported with the upstream CVEs; a RHEL 8.9 NE, which"
      + " RHEL 9's streams do not cover, NOT_ASSESSED")
  void rhel_everyStreamOfItsRelease(@TempDir Path tmp) throws Exception {
    PackageReport r = report(tmp.resolve("rhel9"), RpmAdvisories.BY_RELEASE, "rhel", "9.4");
    assertThat(r.release()).isEqualTo("Red Hat:9.4");
    TestDevice d = TestDevice.enroll(s, "rpm-rhel9", "mme");
    PackageVerdict v = d.client.reportPackages(r);
    assertThat(v.state()).as("%s", v.messages()).isEqualTo(PackageVerdict.ASSESSED);
    DeviceVulnerabilities out = VulnServerCases.vulns(s, "rpm-rhel9");
    assertThat(out.state()).isEqualTo(DeviceVulnerabilities.ASSESSED);
    assertThat(out.findings()).hasSize(2).allSatisfy(f -> {
      assertThat(f.advisoryId()).isEqualTo(RpmAdvisories.RHSA);
      assertThat(f.fixedVersion()).isEqualTo(RpmAdvisories.FIXED);
      assertThat(f.cves()).contains("CVE-2023-0286");
      assertThat(f.matchedBy()).isEqualTo("rpm-package");
    });
    assertThat(out.findings()).extracting(f -> f.packageName())
        .containsExactlyInAnyOrder("openssl", "openssl-devel");
    PackageReport r8 = report(tmp.resolve("rhel8"), RpmAdvisories.BY_RELEASE, "rhel", "8.9");
    TestDevice d8 = TestDevice.enroll(s, "rpm-rhel8", "mme");
    assertThat(d8.client.reportPackages(r8).state()).isEqualTo(PackageVerdict.NOT_ASSESSED);
    assertThat(VulnServerCases.vulns(s, "rpm-rhel8").messages())
        .anySatisfy(m -> assertThat(m).contains("Red Hat:8.9"));
  }

  @Test
  @DisplayName("HRD-3 a RHEL NE's listening daemon, whose executable rpm -qf says openssl owns,"
      + " makes openssl's finding reachable through its port; openssl-devel, serving nothing,"
      + " stays dormant")
  void rhel_socketOwnerByRpm_reachable(@TempDir Path tmp) throws Exception {
    String exe = "/usr/sbin/ngtest-ssl-server";
    Path db = RpmDatabase.build(tmp, List.of(new RpmDatabase.Spec("openssl", 1, "3.0.1",
        "43.el9_0", null, List.of("openssl-devel"), List.of(exe))));
    PackageReport r = new PackageInventory(new AgentConfig.Packages(tmp.resolve("no-dpkg"),
        RpmAdvisories.osRelease(tmp, "rhel", "9.4"), db)).take(List.of(new ObservedPort(
            Transport.TCP, "0.0.0.0", 4433, PortState.OPEN, null, "test",
            new ProcessInfo(100, "ngtest-ssl-server", exe, "root"), List.of())));
    assertThat(r.sockets()).singleElement().satisfies(o -> assertThat(o.owner())
        .isEqualTo("openssl"));
    TestDevice d = TestDevice.enroll(s, "rpm-rhel-reach", "mme");
    assertThat(d.client.reportPackages(r).state()).isEqualTo(PackageVerdict.ASSESSED);
    assertThat(VulnServerCases.vulns(s, "rpm-rhel-reach").findings())
        .extracting(f -> f.packageName() + " " + f.reachableThrough().stream()
            .map(x -> x.label()).toList())
        .containsExactlyInAnyOrder("openssl [tcp/4433 (ngtest-ssl-server)]",
            "openssl-devel []");
  }

  @Test
  @DisplayName("HRD-3 an openSUSE Leap 15.5 NE is reported as openSUSE:Leap 15.5 (a release of"
      + " two words, taken by the server) and assessed by source rpm: libopenssl3 and openssl-3"
      + " below the fix; the record's Leap 15.4 entry is not its")
  void openSuseLeap_bySourceRpm(@TempDir Path tmp) throws Exception {
    PackageReport r = report(tmp, RpmAdvisories.LEAP_BELOW, "opensuse-leap", "15.5");
    assertThat(r.release()).isEqualTo(RpmAdvisories.LEAP);
    TestDevice d = TestDevice.enroll(s, "rpm-leap", "mme");
    PackageVerdict v = d.client.reportPackages(r);
    assertThat(v.state()).as("%s", v.messages()).isEqualTo(PackageVerdict.ASSESSED);
    DeviceVulnerabilities out = VulnServerCases.vulns(s, "rpm-leap");
    assertThat(out.findings()).hasSize(2).allSatisfy(f -> {
      assertThat(f.advisoryId()).isEqualTo("NEGUARD-TEST-SUSE-1");
      assertThat(f.fixedVersion()).isEqualTo(RpmAdvisories.LEAP_FIXED);
    });
    assertThat(out.findings()).extracting(f -> f.packageName() + " " + f.matchedBy())
        .containsExactlyInAnyOrder("openssl-3 rpm-package", "libopenssl3 source-rpm");
  }

  @Test
  @DisplayName("HRD-3 an rpm NE of a distribution without an imported feed (Rocky Linux 9), or"
      + " of one that is no rpm distribution with OSV advisories (Fedora), or SUSE (whose"
      + " advisories os-release cannot name), is NOT_ASSESSED with the reason, never clean")
  void otherDistribution_notAssessed(@TempDir Path tmp) throws Exception {
    for (String[] os : List.of(new String[] {"rocky", "9.3", "Rocky Linux:9"},
        new String[] {"fedora", "40", "Fedora:40"}, new String[] {"sles", "15.5",
        "Sles:15.5"})) {
      String id = "rpm-" + os[0];
      PackageReport r = report(tmp.resolve(os[0]), RpmAdvisories.BY_RELEASE, os[0], os[1]);
      assertThat(r.release()).isEqualTo(os[2]);
      TestDevice d = TestDevice.enroll(s, id, "mme");
      PackageVerdict v = d.client.reportPackages(r);
      assertThat(v.state()).as(id).isEqualTo(PackageVerdict.NOT_ASSESSED);
      assertThat(v.findings()).as(id).isZero();
      DeviceVulnerabilities out = VulnServerCases.vulns(s, id);
      assertThat(out.state()).as(id).isEqualTo(DeviceVulnerabilities.NOT_ASSESSED);
      assertThat(out.findings()).as(id).isEmpty();
      assertThat(out.messages()).as(id).anySatisfy(m -> assertThat(m).contains(os[2]));
      if (os[0].equals("sles")) {
        assertThat(out.messages()).as(id).anySatisfy(m -> assertThat(m).contains(
            "SUSE Linux Enterprise not yet"));
      }
    }
  }

  @Test
  @DisplayName("HRD-3 an empty rpm list of a covered release (an agent of an earlier version"
      + " that read an empty database rpm made at a missing --dbpath) is NOT_ASSESSED saying"
      + " why, never clean; a real list after it is assessed")
  void emptyRpmList_notAssessed(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "rpm-empty", "mme");
    VulnServerCases.emptyListNotAssessed(s, d, PackageReport.RPM, "AlmaLinux:9");
    PackageReport full = report(tmp, RpmAdvisories.BY_RELEASE, "almalinux", "9.3");
    assertThat(d.client.reportPackages(full).state()).isEqualTo(PackageVerdict.ASSESSED);
  }

  @Test
  @DisplayName("HRD-3 an rpm list claiming impossible versions (no epoch, no release, a second"
      + " '-', a '/', an epoch past 32 bits, an overlong one, a source version without release)"
      + " is refused 422 MALFORMED naming the package, nothing stored")
  void impossibleRpmLists_refusedWhole(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "rpm-liar", "mme");
    PackageReport full = report(tmp, RpmAdvisories.BY_RELEASE, "almalinux", "9.3");
    OsPackage first = full.packages().get(0);
    List<OsPackage> bad = new ArrayList<>();
    for (String version : List.of("3.0.1-43.el9_0", "1:3.0.1", "1:3.0.1-43-el9_0",
        "1:3.0.1/x-43", "4294967296:3.0.1-43", "1:" + "9".repeat(300) + "-1", "1:-43")) {
      bad.add(new OsPackage(first.name(), version, first.arch(), first.source(),
          first.sourceVersion()));
    }
    bad.add(new OsPackage(first.name(), first.version(), first.arch(), first.source(),
        "3.0.1"));
    for (OsPackage p : bad) {
      List<OsPackage> l = new ArrayList<>(full.packages());
      l.set(0, p);
      DeviceApiException e = catchThrowableOfType(() -> d.client.reportPackages(
          VulnServerCases.with(full, l)), DeviceApiException.class);
      assertThat(e).as(p.version()).isNotNull();
      assertThat(e.status()).as(p.version()).isEqualTo(422);
      assertThat(e.code()).as(p.version()).isEqualTo("MALFORMED");
      assertThat(e.getMessage()).as(p.version()).contains(first.name())
          .doesNotContain("Exception");
      assertThat(VulnServerCases.vulns(s, "rpm-liar").state()).as(p.version())
          .isEqualTo(DeviceVulnerabilities.NO_REPORT);
    }
    // the list as the agent read it is taken
    assertThat(d.client.reportPackages(full).state()).isEqualTo(PackageVerdict.ASSESSED);
  }
}
