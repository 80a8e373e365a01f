package org.neguard.server.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.api.device.OsPackage;
import org.neguard.api.device.PackageReport;
import org.neguard.api.device.PackageVerdict;
import org.neguard.api.device.SocketOwner;
import org.neguard.api.vuln.DeviceVulnerabilities;
import org.neguard.api.vuln.FleetVulnerabilities;
import org.neguard.server.ServerConfig;
import org.neguard.server.Http;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.device.TestDevice;

/**
 * What an NE runs, on the server (issue 16, HRD-3, OBJ-2): the agents' package reports (read by
 * the real agent code from NE images of the test's own) checked, stored for the device of the
 * client certificate only, assessed against a vulnerability database imported from OSV records,
 * each finding with the socket it is reachable through; impossible lists refused whole with
 * nothing stored; the database's state always explicit.
 */
abstract class VulnServerCases {
  private static final ObjectMapper JSON = new ObjectMapper();
  static Path work;
  static TestServer s;
  /** The PostgreSQL database of the running suite (null: the embedded one), dropped by stop. */
  private static String database;

  static UnaryOperator<ServerConfig.Builder> vulnDb(Path db, Duration maxAge) {
    return b -> b.vuln(new ServerConfig.Vuln(Optional.of(db), maxAge));
  }

  /**
   * Starts the shared server on PostgreSQL database {@code database} (from {@link TestDb#create},
   * dropped by {@link #stop}), or on the embedded one when it is null.
   */
  static void startOn(String database) throws Exception {
    VulnServerCases.database = database;
    work = Files.createTempDirectory("neguard-vuln-test-");
    VulnFixture.importFeed(work.resolve("db"), VulnFixture.feed(work, "debian-12",
        Instant.now()));
    s = TestServer.start(database == null ? null : TestDb.url(database),
        vulnDb(work.resolve("db"), Duration.ofDays(7)));
  }

  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
      TestServer.delete(work);
    } finally {
      TestDb.drop(database);
    }
  }

  static DeviceVulnerabilities vulns(TestServer s, String id) throws Exception {
    return JSON.readValue(s.http.get("/api/devices/" + id + "/vulnerabilities",
        s.token(Role.AUDITOR)).body(), DeviceVulnerabilities.class);
  }

  @Test
  @DisplayName("HRD-3 OBJ-2 an NE's findings with CVE ids, fixed versions and the socket each"
      + " is reachable through, reachable first; the feeds' dates; the fleet view ranks it first")
  void assessed_reachableFirst(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-mme-1", "mme");
    PackageVerdict v = d.client.reportPackages(VulnFixture.report(VulnFixture.image(tmp)));
    assertThat(v.state()).isEqualTo(PackageVerdict.ASSESSED);
    assertThat(v.findings()).isEqualTo(3);
    assertThat(v.reachable()).isEqualTo(2);

    DeviceVulnerabilities out = vulns(s, "vuln-mme-1");
    assertThat(out.state()).isEqualTo(DeviceVulnerabilities.ASSESSED);
    assertThat(out.release()).isEqualTo("Debian:12");
    assertThat(out.packages()).isEqualTo(3);
    assertThat(out.feeds()).singleElement().satisfies(f -> {
      assertThat(f.name()).isEqualTo("debian-12.zip");
      assertThat(f.records()).isEqualTo(3);
      assertThat(Instant.parse(f.newest())).isAfter(Instant.now().minusSeconds(3600));
    });
    assertThat(out.findings()).extracting(f -> f.advisoryId() + " " + f.packageName() + " "
        + f.fixedVersion() + " " + f.reachable()).containsExactly(
        "DEBIAN-CVE-2026-24061 inetutils-telnetd 2:2.4-2+deb12u2 true",
        "DEBIAN-CVE-2026-28372 inetutils-telnetd 2:2.4-2+deb12u3 true",
        "DEBIAN-CVE-2025-30698 openjdk-17-jre-headless 17.0.15+6-1~deb12u1 false");
    assertThat(out.findings().get(0).cves()).containsExactly("CVE-2026-24061");
    assertThat(out.findings().get(0).source()).isEqualTo("inetutils");
    assertThat(out.findings().get(0).reachableThrough()).singleElement()
        .satisfies(r -> assertThat(r.label()).isEqualTo("tcp/23 (telnetd)"));
    assertThat(out.ports()).extracting(p -> p.protocol() + "/" + p.port() + " " + p.owner()
        + " " + p.findings()).containsExactly("tcp/23 inetutils-telnetd 2", "tcp/2222 null 0");

    // Another NE with a dormant finding only, and one that never reported: ranked after it.
    TestDevice other = TestDevice.enroll(s, "vuln-mme-2", "mme");
    Path img2 = VulnFixture.image(tmp.resolve("two"));
    other.client.reportPackages(new org.neguard.agent.PackageInventory(
        new org.neguard.agent.AgentConfig.Packages(img2.resolve("var/lib/dpkg"),
            img2.resolve("os-release"))).take(List.of()));
    TestDevice.enroll(s, "vuln-mme-3", "mme");
    FleetVulnerabilities fleet = JSON.readValue(s.http.get("/api/vulnerabilities",
        s.token(Role.OPERATOR)).body(), FleetVulnerabilities.class);
    assertThat(fleet.state()).isEqualTo(DeviceVulnerabilities.ASSESSED);
    List<String> order = fleet.devices().stream().map(x -> x.deviceId() + " " + x.state() + " "
        + x.reachable() + "/" + x.total()).filter(x -> x.startsWith("vuln-mme-")).toList();
    assertThat(order).containsExactly("vuln-mme-1 ASSESSED 2/3", "vuln-mme-2 ASSESSED 0/3",
        "vuln-mme-3 NO_REPORT 0/0");
    // By advisory: each row with the NEs running it, those exposing it first; most severe first.
    org.neguard.api.vuln.FleetAdvisory telnet = fleet.advisories().stream()
        .filter(a -> a.advisoryId().equals("DEBIAN-CVE-2026-24061")).findFirst().orElseThrow();
    assertThat(telnet.cves()).containsExactly("CVE-2026-24061");
    assertThat(telnet.packageName()).isEqualTo("inetutils-telnetd");
    assertThat(telnet.fixedVersion()).isEqualTo("2:2.4-2+deb12u2");
    assertThat(telnet.deviceIds().stream().filter(x -> x.startsWith("vuln-mme-")))
        .containsExactly("vuln-mme-1", "vuln-mme-2");
    assertThat(telnet.devices()).isEqualTo(telnet.deviceIds().size()).isGreaterThanOrEqualTo(2);
    assertThat(telnet.reachable()).isGreaterThanOrEqualTo(1).isLessThan(telnet.devices());
    assertThat(fleet.advisories()).extracting(a -> FleetAdvisories.rank(a.severity()))
        .isSorted();
    assertThat(fleet.advisories()).extracting(a -> a.advisoryId() + " " + a.packageName()
        + " " + a.fixedVersion()).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("HRD-3 an unchanged list travels as its digest only; a digest the server does not"
      + " hold is answered PACKAGES_NEEDED, nothing stored")
  void digestOnly(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-digest", "mme");
    PackageReport full = VulnFixture.report(VulnFixture.image(tmp));
    PackageVerdict unknown = d.client.reportPackages(full.withoutPackages());
    assertThat(unknown.state()).isEqualTo(PackageVerdict.PACKAGES_NEEDED);
    assertThat(vulns(s, "vuln-digest").state()).isEqualTo(DeviceVulnerabilities.NO_REPORT);

    assertThat(d.client.reportPackages(full).digest()).isEqualTo(full.digest());
    // Unchanged list, telnetd no longer listening: the socket part replaced, the list kept.
    PackageReport quiet = new PackageReport(full.format(), full.release(), full.digest(), null,
        List.of(), List.of());
    PackageVerdict v = d.client.reportPackages(quiet);
    assertThat(v.state()).isEqualTo(PackageVerdict.ASSESSED);
    assertThat(v.findings()).isEqualTo(3);
    assertThat(v.reachable()).isZero();
    assertThat(vulns(s, "vuln-digest").packages()).isEqualTo(3);
  }

  @Test
  @DisplayName("HRD-3 a digest-only report naming another release than the held list's is"
      + " answered PACKAGES_NEEDED naming the release; the list is never assessed against it")
  void digestOnly_otherRelease_failsWithPackagesNeeded(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-release", "mme");
    PackageReport full = VulnFixture.report(VulnFixture.image(tmp));
    assertThat(d.client.reportPackages(full).state()).isEqualTo(PackageVerdict.ASSESSED);
    String at = vulns(s, "vuln-release").reportedAt();

    for (String release : new String[] {"Debian:13", null}) {
      PackageReport moved = new PackageReport(full.format(), release, full.digest(), null,
          full.sockets(), List.of());
      PackageVerdict v = d.client.reportPackages(moved);
      assertThat(v.state()).as(release).isEqualTo(PackageVerdict.PACKAGES_NEEDED);
      assertThat(v.findings()).as(release).isZero();
      assertThat(v.messages()).as(release).singleElement().satisfies(m -> assertThat(m)
          .contains("release " + release, full.release(), "send the list"));
      DeviceVulnerabilities held = vulns(s, "vuln-release");
      assertThat(held.release()).as(release).isEqualTo(full.release());
      assertThat(held.reportedAt()).as(release).isEqualTo(at);
    }
    // The list sent with the new release replaces the held one.
    PackageVerdict sent = d.client.reportPackages(new PackageReport(full.format(), "Debian:13",
        full.digest(), full.packages(), full.sockets(), List.of()));
    assertThat(sent.state()).isEqualTo(PackageVerdict.NOT_ASSESSED);
    assertThat(vulns(s, "vuln-release").release()).isEqualTo("Debian:13");
  }

  /** {@code full} with its package list replaced by {@code packages}, the digest made to fit. */
  static PackageReport with(PackageReport full, List<OsPackage> packages) {
    return new PackageReport(full.format(), full.release(), PackageReport.digestOf(packages),
        packages, full.sockets(), full.notes());
  }

  static OsPackage deb(String name, String version) {
    return new OsPackage(name, version, "amd64", name, version);
  }

  @Test
  @DisplayName("HRD-3 a package list claiming impossible versions or names, a package twice, a"
      + " digest that does not fit, an owner not in the list: 422 MALFORMED naming the entry,"
      + " nothing stored, a failure audited")
  void impossibleLists_refusedWhole(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-liar", "mme");
    PackageReport full = VulnFixture.report(VulnFixture.image(tmp));
    List<OsPackage> good = full.packages();
    record Bad(String what, PackageReport report, String message) {}
    List<Bad> bad = new ArrayList<>();
    for (String version : List.of("a2.4", "x:2.4-1", "2.4 -1", "2:2.4-", "1:" + "9".repeat(300),
        "99999999999999999999:1.0")) {
      List<OsPackage> l = new ArrayList<>(good);
      l.set(0, deb("inetutils-telnetd", version));
      bad.add(new Bad("version " + version, with(full, l), "inetutils-telnetd"));
    }
    List<OsPackage> badName = new ArrayList<>(good);
    badName.add(deb("Evil_Pkg", "1.0"));
    bad.add(new Bad("name", with(full, badName), "Evil_Pkg"));
    List<OsPackage> twice = new ArrayList<>(good);
    twice.add(good.get(0));
    bad.add(new Bad("twice", with(full, twice), "listed twice"));
    bad.add(new Bad("digest", new PackageReport(full.format(), full.release(),
        PackageReport.digestOf(List.of()), good, full.sockets(), List.of()), "digest"));
    bad.add(new Bad("owner", new PackageReport(full.format(), full.release(), full.digest(),
        good, List.of(new SocketOwner("tcp", 22, "0.0.0.0", "sshd", "/usr/sbin/sshd",
            "openssh-server")), List.of()), "openssh-server"));
    bad.add(new Bad("format", new PackageReport("apk", full.release(), full.digest(), good,
        List.of(), List.of()), "apk"));
    bad.add(new Bad("release", new PackageReport(full.format(), "Debian:12\nX", full.digest(),
        good, List.of(), List.of()), "release"));
    for (Bad b : bad) {
      DeviceApiException e = catchThrowableOfType(() -> d.client.reportPackages(b.report()),
          DeviceApiException.class);
      assertThat(e).as(b.what()).isNotNull();
      assertThat(e.status()).as(b.what()).isEqualTo(422);
      assertThat(e.code()).as(b.what()).isEqualTo("MALFORMED");
      assertThat(e.getMessage()).as(b.what()).contains(b.message()).doesNotContain("Exception");
      assertThat(vulns(s, "vuln-liar").state()).as(b.what())
          .isEqualTo(DeviceVulnerabilities.NO_REPORT);
    }
    assertThat(TestDevice.auditTail(s, 5)).contains("VULN_PACKAGES", "failure",
        "device vuln-liar");
  }

  @Test
  @DisplayName("HRD-3 a huge package list is refused 413 SIZE_LIMIT, nothing stored")
  void hugeList_refused() throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-huge", "mme");
    List<OsPackage> many = new ArrayList<>();
    for (int i = 0; i <= ReportCheck.MAX_PACKAGES; i++) {
      many.add(deb("p" + i, "1.0"));
    }
    DeviceApiException e = catchThrowableOfType(() -> d.client.reportPackages(new PackageReport(
        "dpkg", "Debian:12", PackageReport.digestOf(many), many, List.of(), List.of())),
        DeviceApiException.class);
    assertThat(e.status()).isEqualTo(413);
    assertThat(e.code()).isEqualTo("SIZE_LIMIT");
    assertThat(vulns(s, "vuln-huge").state()).isEqualTo(DeviceVulnerabilities.NO_REPORT);
  }

  @Test
  @DisplayName("HRD-3 a device reports for itself only: what it sends never shows on another"
      + " device")
  void reportsForItselfOnly(@TempDir Path tmp) throws Exception {
    TestDevice a = TestDevice.enroll(s, "vuln-self-a", "mme");
    TestDevice.enroll(s, "vuln-self-b", "mme");
    a.client.reportPackages(VulnFixture.report(VulnFixture.image(tmp)));
    assertThat(vulns(s, "vuln-self-a").findings()).hasSize(3);
    assertThat(vulns(s, "vuln-self-b").state()).isEqualTo(DeviceVulnerabilities.NO_REPORT);
    assertThat(s.http.get("/api/devices/no-such/vulnerabilities", s.adminToken()).status())
        .isEqualTo(404);
  }

  @Test
  @DisplayName("HRD-3 the database's state is explicit: none yet (never 'no vulnerabilities'),"
      + " imported while the server runs (reopened, no restart), then stale with its findings"
      + " kept")
  void databaseState_explicit(@TempDir Path tmp) throws Exception {
    Path db = tmp.resolve("db");
    try (TestServer t = TestServer.start(null, vulnDb(db, Duration.ofDays(30)))) {
      TestDevice d = TestDevice.enroll(t, "vuln-state", "mme");
      PackageVerdict none = d.client.reportPackages(VulnFixture.report(VulnFixture.image(tmp)));
      assertThat(none.state()).isEqualTo(PackageVerdict.NO_DATABASE);
      DeviceVulnerabilities before = vulns(t, "vuln-state");
      assertThat(before.state()).isEqualTo(DeviceVulnerabilities.NO_DATABASE);
      assertThat(before.findings()).isEmpty();
      assertThat(before.messages()).anySatisfy(m -> assertThat(m)
          .contains("holds no vulnerability database yet", "neguard vulndb import"));

      VulnFixture.importFeed(db, VulnFixture.feed(tmp, "debian-12", Instant.now()));
      DeviceVulnerabilities fresh = vulns(t, "vuln-state");
      assertThat(fresh.state()).isEqualTo(DeviceVulnerabilities.ASSESSED);
      assertThat(fresh.findings()).hasSize(3);

      // The same feed file, as downloaded long ago: it replaces the one imported before.
      VulnFixture.importFeed(db, VulnFixture.feed(Files.createDirectories(tmp.resolve("old")),
          "debian-12", Instant.parse("2025-05-01T00:00:00Z")));
      DeviceVulnerabilities stale = vulns(t, "vuln-state");
      assertThat(stale.state()).as("%s", stale.messages())
          .isEqualTo(DeviceVulnerabilities.STALE_DATABASE);
      assertThat(stale.findings()).hasSize(3);
      assertThat(stale.feeds()).singleElement().satisfies(f -> assertThat(f.newest())
          .isEqualTo("2025-05-01T00:00:00Z"));
      assertThat(stale.messages()).anySatisfy(m -> assertThat(m)
          .contains("debian-12.zip", "older than", "neguard vulndb import"));
      JsonNode fleet = t.http.get("/api/vulnerabilities", t.adminToken()).json();
      assertThat(fleet.path("state").asText()).isEqualTo("STALE_DATABASE");
    }
  }

  @Test
  @DisplayName("HRD-3 a server started without --vulndb says so, with what to do")
  void noVulnDb_saysSo() {
    VulnDatabase none = new VulnDatabase(ServerConfig.builder(Path.of("/nonexistent")).build());
    VulnDatabase.Current c = none.current(Instant.now());
    assertThat(c.state()).isEqualTo(DeviceVulnerabilities.NO_DATABASE);
    assertThat(c.db()).isEmpty();
    assertThat(c.messages()).singleElement().asString().contains("--vulndb DIR");
  }

  @Test
  @DisplayName("HRD-3 an empty dpkg list of a covered release (Debian:12) is NOT_ASSESSED saying"
      + " why, never clean: dpkg itself is a package of every dpkg system")
  void emptyDpkgList_notAssessed() throws Exception {
    emptyListNotAssessed(s, TestDevice.enroll(s, "vuln-empty", "mme"), PackageReport.DPKG,
        "Debian:12");
  }

  /**
   * {@code d} reports an empty {@code format} list of {@code release}, which the server's
   * database covers: NOT_ASSESSED in the answer and on the device's page, saying why; and so
   * too after its stored assessment is made "assessed, no finding", as a server before this
   * rule stored it (the same database and list: it would otherwise be reused as it is).
   */
  static void emptyListNotAssessed(TestServer s, TestDevice d, String format, String release)
      throws Exception {
    PackageVerdict v = d.client.reportPackages(new PackageReport(format, release,
        PackageReport.digestOf(List.of()), List.of(), List.of(), List.of()));
    assertThat(v.state()).as(format).isEqualTo(PackageVerdict.NOT_ASSESSED);
    DeviceVulnerabilities out = vulns(s, d.id);
    assertThat(out.state()).as(format).isEqualTo(DeviceVulnerabilities.NOT_ASSESSED);
    assertThat(out.messages()).as(format).anySatisfy(m -> assertThat(m).contains(
        "empty " + format + " package list", "nothing was assessed"));

    try (java.sql.Connection c = s.db(); java.sql.PreparedStatement p = c.prepareStatement(
        "UPDATE device_vulnerabilities SET state = ?, not_assessed = 0,"
            + " not_assessed_reason = NULL WHERE device_id = ?")) {
      p.setString(1, DeviceVulnerabilities.ASSESSED);
      p.setString(2, d.id);
      assertThat(p.executeUpdate()).as(format).isEqualTo(1);
    }
    DeviceVulnerabilities old = vulns(s, d.id);
    assertThat(old.state()).as(format).isEqualTo(DeviceVulnerabilities.NOT_ASSESSED);
    assertThat(old.messages()).as(format).anySatisfy(m -> assertThat(m).contains(
        "empty " + format + " package list"));
    FleetVulnerabilities fleet = JSON.readValue(s.http.get("/api/vulnerabilities",
        s.token(Role.OPERATOR)).body(), FleetVulnerabilities.class);
    assertThat(fleet.devices()).filteredOn(x -> x.deviceId().equals(d.id)).singleElement()
        .satisfies(x -> assertThat(x.state()).as(format)
            .isEqualTo(DeviceVulnerabilities.NOT_ASSESSED));
  }

  @Test
  @DisplayName("HRD-3 an NE of a release the database has no advisories for is NOT_ASSESSED,"
      + " not clean")
  void otherRelease_notAssessed(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-trixie", "mme");
    Path img = VulnFixture.image(tmp);
    Files.writeString(img.resolve("os-release"), "ID=debian\nVERSION_ID=\"13\"\n");
    PackageVerdict v = d.client.reportPackages(VulnFixture.report(img));
    assertThat(v.state()).isEqualTo(PackageVerdict.NOT_ASSESSED);
    DeviceVulnerabilities out = vulns(s, "vuln-trixie");
    assertThat(out.state()).isEqualTo(DeviceVulnerabilities.NOT_ASSESSED);
    assertThat(out.messages()).anySatisfy(m -> assertThat(m).contains("Debian:13"));
  }

  @Test
  @DisplayName("HRD-3 GET /api/devices/{id}/packages: the list the NE last reported, in its"
      + " order, with the report's digest and time and the socket owners; an unchanged report"
      + " keeps it; an NE that never reported is NO_REPORT without a list (not an empty one);"
      + " an unknown device 404")
  void packages_lastReport_withDigestAndTime(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "vuln-pkgs-1", "mme");
    PackageReport full = VulnFixture.report(VulnFixture.image(tmp));
    Instant before = Instant.now().minusSeconds(1);
    d.client.reportPackages(full);
    Http.Response r = s.http.get("/api/devices/vuln-pkgs-1/packages", s.token(Role.AUDITOR));
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    org.neguard.api.vuln.DevicePackages p = JSON.readValue(r.body(),
        org.neguard.api.vuln.DevicePackages.class);
    assertThat(p.state()).isEqualTo("REPORTED");
    assertThat(p.neType()).isEqualTo("mme");
    assertThat(p.format()).isEqualTo("dpkg");
    assertThat(p.release()).isEqualTo("Debian:12");
    assertThat(p.digest()).isEqualTo(full.digest())
        .isEqualTo(PackageReport.digestOf(p.packages()));
    assertThat(p.count()).isEqualTo(3);
    assertThat(p.packages()).isEqualTo(full.packages());
    assertThat(p.sockets()).extracting(x -> x.port() + " " + x.owner())
        .containsExactly("23 inetutils-telnetd", "2222 null");
    Instant reported = Instant.parse(p.reportedAt());
    assertThat(reported).isAfter(before);
    assertThat(Instant.parse(p.answeredAt())).isAfterOrEqualTo(reported);

    // "Unchanged": the agent sends the digest only; the list and its digest stay, the time moves.
    Thread.sleep(5);
    d.client.reportPackages(full.withoutPackages());
    org.neguard.api.vuln.DevicePackages again = JSON.readValue(s.http.get(
        "/api/devices/vuln-pkgs-1/packages", s.token(Role.OPERATOR)).body(),
        org.neguard.api.vuln.DevicePackages.class);
    assertThat(again.packages()).isEqualTo(full.packages());
    assertThat(again.digest()).isEqualTo(full.digest());
    assertThat(Instant.parse(again.reportedAt())).isAfter(reported);

    TestDevice.enroll(s, "vuln-pkgs-2", "mme");
    Http.Response none = s.http.get("/api/devices/vuln-pkgs-2/packages", s.token(Role.APPROVER));
    assertThat(none.status()).isEqualTo(200);
    assertThat(none.json().path("state").asText()).isEqualTo("NO_REPORT");
    assertThat(none.json().has("packages")).as("no list, not an empty one").isFalse();
    assertThat(none.json().has("digest")).isFalse();

    Http.Response unknown = s.http.get("/api/devices/no-such-ne/packages", s.adminToken());
    assertThat(unknown.status()).isEqualTo(404);
  }
}
