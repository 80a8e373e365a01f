package org.neguard.cli.harden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
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
import org.neguard.verdict.RefusalException;

/**
 * The checks on a package list fetched from the server for {@code harden check --device}
 * (issue 16, HRD-3): one test per refusal row of {@link ReportedPackages}, each on a real
 * answer (this machine's own dpkg database read by the agent's code, served as the server
 * serves it) with one thing wrong. Each was seen to fail with its check removed.
 */
@DisplayName("HRD-3 an NE's reported package list, checked before it is assessed")
class ReportedPackagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVER = "http://127.0.0.1:1";
  private static final Duration DAY = Duration.ofDays(1);
  static ObjectNode good;

  @BeforeAll
  static void answer() throws Exception {
    // This host's dpkg database and /etc/os-release, as the agent reads them, telnetd's port
    // owned through dpkg's file lists.
    PackageReport r = new PackageInventory(new AgentConfig.Packages(Path.of("/var/lib/dpkg"),
        Path.of("/etc/os-release"))).take(List.of(new ObservedPort(Transport.TCP, "0.0.0.0",
            23, PortState.OPEN, null, "test", new ProcessInfo(7, "inetutils-inetd",
                "/usr/sbin/inetutils-inetd", "root"), List.of())));
    Instant now = Instant.now();
    DevicePackages d = new DevicePackages("ne-1", "mme", DevicePackages.REPORTED, r.format(),
        r.release(), r.digest(), r.packages().size(), now.minusSeconds(600).toString(),
        now.toString(), r.packages(), r.sockets(), r.notes());
    good = JSON.valueToTree(d);
  }

  static byte[] with(Consumer<ObjectNode> change) throws Exception {
    ObjectNode n = good.deepCopy();
    change.accept(n);
    return JSON.writeValueAsBytes(n);
  }

  static RefusalException refused(byte[] body) {
    return catchThrowableOfType(() -> ReportedPackages.check(body, "ne-1", SERVER, DAY),
        RefusalException.class);
  }

  static void assertRefused(byte[] body, String code, String... message) {
    RefusalException e = refused(body);
    assertThat(e).as("refused").isNotNull();
    assertThat(e.reasons().get(0).code().name()).as(e.getMessage()).isEqualTo(code);
    assertThat(e.getMessage()).contains(message);
  }

  @Test
  @DisplayName("HRD-3 the real list passes: every package, the release, the owner of"
      + " inetutils-inetd's executable, the report's digest and age in the description")
  void check_realList_accepted() throws Exception {
    ReportedPackages.Fetched f = ReportedPackages.check(with(n -> { }), "ne-1", SERVER, DAY);
    assertThat(f.release()).isEqualTo("Debian:12");
    assertThat(f.list().components()).hasSize(good.path("count").asInt()).hasSizeGreaterThan(100);
    assertThat(f.list().owners().orElseThrow().apply("/usr/sbin/inetutils-inetd"))
        .contains("inetutils-inetd");
    assertThat(f.list().description()).contains("ne-1 (mme)", SERVER,
        good.path("digest").asText(), "10m before the check");
  }

  @Test
  @DisplayName("HRD-3 a device that never reported: SCAN_INCOMPLETE, never an empty pass")
  void check_neverReported_scanIncomplete() throws Exception {
    assertRefused(JSON.writeValueAsBytes(new DevicePackages("ne-1", "mme",
        DevicePackages.NO_REPORT, null, null, null, null, null, Instant.now().toString(), null,
        null, null)), "SCAN_INCOMPLETE", "never reported");
  }

  @Test
  @DisplayName("HRD-3 a report older than --max-report-age (by the server's clock): SCAN_POLICY")
  void check_oldReport_scanPolicy() throws Exception {
    assertRefused(with(n -> n.put("reportedAt", Instant.parse(n.path("answeredAt").asText())
        .minus(Duration.ofHours(25)).toString())), "SCAN_POLICY", "--max-report-age 1d",
        "1d 1h old");
  }

  @Test
  @DisplayName("HRD-3 a report dated after the server's answer: MALFORMED")
  void check_reportFromTheFuture_malformed() throws Exception {
    assertRefused(with(n -> n.put("reportedAt", Instant.now().plus(Duration.ofHours(1))
        .toString())), "MALFORMED", "after the server's answer");
  }

  @Test
  @DisplayName("HRD-3 an answer that is not strict JSON (a duplicate key, trailing data,"
      + " truncated) or has no report time: MALFORMED")
  void check_notStrictJson_malformed() throws Exception {
    String s = new String(with(n -> { }), StandardCharsets.UTF_8);
    assertRefused(("{\"deviceId\":\"ne-1\"," + s.substring(1)).getBytes(StandardCharsets.UTF_8),
        "MALFORMED", "Duplicate field 'deviceId'");
    assertRefused((s + "{}").getBytes(StandardCharsets.UTF_8), "MALFORMED", "not the JSON");
    assertRefused(s.substring(0, s.length() / 2).getBytes(StandardCharsets.UTF_8), "MALFORMED",
        "not the JSON");
    assertRefused(with(n -> n.remove("reportedAt")), "MALFORMED", "no reportedAt");
  }

  @Test
  @DisplayName("HRD-3 an answer larger than the bound: SIZE_LIMIT, before it is parsed")
  void check_oversize_sizeLimit() {
    assertRefused(new byte[ReportedPackages.MAX_BYTES + 1], "SIZE_LIMIT", "more than 16 MiB");
  }

  @Test
  @DisplayName("HRD-3 an answer about another device, or in an unknown state: MALFORMED")
  void check_otherDeviceOrState_malformed() throws Exception {
    assertRefused(with(n -> n.put("deviceId", "ne-2")), "MALFORMED", "about device 'ne-2'");
    assertRefused(with(n -> n.put("state", "ASSESSED")), "MALFORMED", "state 'ASSESSED'");
  }

  @Test
  @DisplayName("HRD-3 a list neither dpkg's nor rpm's, an rpm list of a release that is no rpm"
      + " distribution's, or a list without a release: SCAN_INCOMPLETE")
  void check_notDpkgOrNoRelease_scanIncomplete() throws Exception {
    assertRefused(with(n -> n.put("format", "none")), "SCAN_INCOMPLETE",
        "'none', neither dpkg nor rpm");
    assertRefused(with(n -> n.put("format", "rpm")), "SCAN_INCOMPLETE",
        "rpm packages of Debian:12, which is no rpm release");
    assertRefused(with(n -> n.remove("release")), "SCAN_INCOMPLETE", "no release");
    assertRefused(with(n -> n.put("release", "Debian:12\nx")), "MALFORMED", "not an OSV release");
  }

  @Test
  @DisplayName("HRD-3 a package of an impossible version (dpkg would refuse it): MALFORMED,"
      + " the whole list refused")
  void check_impossibleVersion_malformed() throws Exception {
    assertRefused(with(n -> ((ObjectNode) n.path("packages").get(0)).put("version", "a:1.0")),
        "MALFORMED", "package 1", "dpkg accepts no such package");
  }

  @Test
  @DisplayName("HRD-3 a package listed twice: MALFORMED")
  void check_duplicatePackage_malformed() throws Exception {
    assertRefused(with(n -> {
      ArrayNode p = (ArrayNode) n.path("packages");
      p.add(p.get(0).deepCopy());
      n.put("count", p.size());
    }), "MALFORMED", "listed twice");
  }

  @Test
  @DisplayName("HRD-3 a count that disagrees with the list (a package cut out), or no list:"
      + " MALFORMED")
  void check_countMismatch_malformed() throws Exception {
    assertRefused(with(n -> ((ArrayNode) n.path("packages")).remove(0)), "MALFORMED",
        "counts");
    assertRefused(with(n -> n.remove("packages")), "MALFORMED", "without its packages");
  }

  @Test
  @DisplayName("HRD-3 a list altered on its way (a version raised, count kept): DIGEST_MISMATCH")
  void check_alteredList_digestMismatch() throws Exception {
    assertRefused(with(n -> ((ObjectNode) n.path("packages").get(0)).put("version", "99:1.0")),
        "DIGEST_MISMATCH", "does not hash");
  }

  @Test
  @DisplayName("HRD-3 a socket owned by a package the list does not hold: MALFORMED")
  void check_unknownSocketOwner_malformed() throws Exception {
    assertRefused(with(n -> ((ObjectNode) n.path("sockets").get(0)).put("owner", "not-listed")),
        "MALFORMED", "'not-listed', which the list does not hold");
  }

  @Test
  @DisplayName("HRD-3 more packages than any NE has: SIZE_LIMIT")
  void check_tooManyPackages_sizeLimit() throws Exception {
    assertRefused(with(n -> {
      ArrayNode p = (ArrayNode) n.path("packages");
      while (p.size() <= ReportedPackages.MAX_PACKAGES) {
        p.add(p.get(p.size() % 50).deepCopy());
      }
    }), "SIZE_LIMIT", "more than 20000");
  }

  @Test
  @DisplayName("HRD-3 a server on loopback that streams a package list without end: SIZE_LIMIT"
      + " after 16 MiB read, the answer never held whole")
  void fetch_endlessAnswer_sizeLimit() throws Exception {
    com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    http.createContext("/api/devices/ne-1/packages", x -> {
      x.sendResponseHeaders(200, 0);
      byte[] chunk = new byte[1 << 20];
      java.util.Arrays.fill(chunk, (byte) ' ');
      try (var out = x.getResponseBody()) {
        out.write('{');
        while (sent.get() < (256L << 20)) {
          out.write(chunk);
          sent.addAndGet(chunk.length);
        }
      } catch (java.io.IOException gone) {
        // the client stopped reading: what this test wants
      }
    });
    http.start();
    try {
      org.neguard.cli.support.ServerClient c = org.neguard.cli.support.ServerClient.of(
          "http://127.0.0.1:" + http.getAddress().getPort(), "ngt_test", null, false);
      RefusalException e = catchThrowableOfType(() -> ReportedPackages.fetch(c, "ne-1", DAY),
          RefusalException.class);
      assertThat(e).isNotNull();
      assertThat(e.reasons().get(0).code().name()).isEqualTo("SIZE_LIMIT");
      assertThat(sent.get()).isLessThan(256L << 20);
    } finally {
      http.stop(0);
    }
  }
}
