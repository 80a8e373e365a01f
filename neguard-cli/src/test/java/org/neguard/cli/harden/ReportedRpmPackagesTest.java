package org.neguard.cli.harden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.PackageInventory;
import org.neguard.api.device.PackageReport;
import org.neguard.api.vuln.DevicePackages;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.testing.RpmAdvisories;
import org.neguard.testing.RpmDatabase;
import org.neguard.verdict.RefusalException;

/**
 * The checks on an rpm NE's package list fetched for {@code harden check --device} (issue 16,
 * HRD-3), each on a real answer: an AlmaLinux 9 rpm database built with rpmbuild, read by the
 * agent's own code (its socket's owner by {@code rpm -qf}), served as the server serves it,
 * with one thing wrong.
 */
@DisplayName("HRD-3 an rpm NE's reported package list, checked before it is assessed")
class ReportedRpmPackagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVER = "http://127.0.0.1:1";
  private static final String EXE = "/usr/sbin/ngtest-tlsd";
  static Path dir;
  static ObjectNode good;

  @BeforeAll
  static void answer() throws Exception {
    dir = Files.createTempDirectory("neguard-reported-rpm-");
    Path db = RpmDatabase.build(dir, List.of(
        new RpmDatabase.Spec("openssl", 1, "3.0.1", "43.el9_0", null, List.of("openssl-devel"),
            List.of(EXE)),
        new RpmDatabase.Spec("openssl-perl", 1, "3.0.1", "47.el9_1", null, List.of())));
    PackageReport r = new PackageInventory(new AgentConfig.Packages(dir.resolve("no-dpkg"),
        RpmAdvisories.osRelease(dir, "almalinux", "9.3"), db)).take(List.of(new ObservedPort(
            Transport.TCP, "0.0.0.0", 4433, PortState.OPEN, null, "test",
            new ProcessInfo(7, "ngtest-tlsd", EXE, "root"), List.of())));
    assertThat(r.format()).isEqualTo(PackageReport.RPM);
    Instant now = Instant.now();
    good = JSON.valueToTree(new DevicePackages("ne-1", "mme", DevicePackages.REPORTED,
        r.format(), r.release(), r.digest(), r.packages().size(),
        now.minusSeconds(60).toString(), now.toString(), r.packages(), r.sockets(),
        r.notes()));
  }

  @AfterAll
  static void clean() throws Exception {
    org.neguard.io.FileTrees.deleteTree(dir);
  }

  static byte[] with(Consumer<ObjectNode> change) throws Exception {
    ObjectNode n = good.deepCopy();
    change.accept(n);
    return JSON.writeValueAsBytes(n);
  }

  static RefusalException refused(byte[] body) {
    return catchThrowableOfType(() -> ReportedPackages.check(body, "ne-1", SERVER,
        Duration.ofDays(1)), RefusalException.class);
  }

  @Test
  @DisplayName("HRD-3 the real rpm list passes: every package as an rpm component of"
      + " AlmaLinux:9, the owner rpm -qf gave for the listening executable, rpm named in the"
      + " description")
  void check_rpmList_accepted() throws Exception {
    ReportedPackages.Fetched f = ReportedPackages.check(with(n -> { }), "ne-1", SERVER,
        Duration.ofDays(1));
    assertThat(f.release()).isEqualTo("AlmaLinux:9");
    assertThat(f.list().components()).hasSize(3).allSatisfy(c -> {
      assertThat(c.ecosystem()).isEqualTo("AlmaLinux:9");
      assertThat(c.purl()).startsWith("pkg:rpm/almalinux/");
    });
    assertThat(f.list().owners().orElseThrow().apply(EXE)).contains("openssl");
    assertThat(f.list().description()).contains("the 3 rpm packages ne-1 (mme)");
  }

  @Test
  @DisplayName("HRD-3 an rpm list with one line rpm would not build (a version without its"
      + " epoch, a blank in a name, a source version without release) is refused whole,"
      + " MALFORMED naming the package and what to do")
  void check_rpmBadLine_refusedWhole() throws Exception {
    for (String[] bad : new String[][] {{"version", "3.0.1-43.el9_0"},
        {"name", "openssl devel"}, {"sourceVersion", "3.0.1"}}) {
      RefusalException e = refused(with(n -> ((ObjectNode) n.path("packages").get(1))
          .put(bad[0], bad[1])));
      assertThat(e).as("%s", (Object) bad).isNotNull();
      assertThat(e.reasons().get(0).code().name()).as(e.getMessage()).isEqualTo("MALFORMED");
      assertThat(e.getMessage()).contains("package 2", "rpm builds no such package",
          "refused whole", "let it report again", "nothing was assessed");
    }
  }

  @Test
  @DisplayName("HRD-3 an rpm list of a distribution no rpm advisories are matched for (SUSE"
      + " Linux Enterprise, Fedora) is not assessed: SCAN_INCOMPLETE with the reason, never"
      + " an empty pass")
  void check_rpmUnknownDistribution_notAssessed() throws Exception {
    for (String release : List.of("Sles:15.5", "Fedora:40")) {
      RefusalException e = refused(with(n -> n.put("release", release)));
      assertThat(e).as(release).isNotNull();
      assertThat(e.reasons().get(0).code().name()).as(e.getMessage())
          .isEqualTo("SCAN_INCOMPLETE");
      assertThat(e.getMessage()).contains("rpm packages of " + release,
          "SUSE Linux Enterprise not yet", "not assessed");
    }
  }

  @Test
  @DisplayName("HRD-3 an empty rpm or dpkg list (an agent that read an empty database, e.g. one"
      + " rpm made at a missing --dbpath) is not assessed: SCAN_INCOMPLETE saying what to do,"
      + " never an empty pass")
  void check_emptyList_notAssessed() throws Exception {
    for (String format : List.of(PackageReport.RPM, PackageReport.DPKG)) {
      RefusalException e = refused(with(n -> {
        n.put("format", format);
        n.putArray("packages");
        n.putArray("sockets");
        n.put("count", 0);
        n.put("digest", PackageReport.digestOf(List.of()));
      }));
      assertThat(e).as(format).isNotNull();
      assertThat(e.reasons().get(0).code().name()).as(e.getMessage())
          .isEqualTo("SCAN_INCOMPLETE");
      assertThat(e.getMessage()).contains("ne-1 reported an empty " + format + " package list",
          "nothing was assessed", "packages.rpm.dbpath", "report again");
    }
  }
}
