package org.neguard.server.vuln;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.device.PackageReport;
import org.neguard.server.Http;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestDb;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.WebhookReceiver;
import org.neguard.server.device.TestDevice;
import org.neguard.vuln.Severity;

/**
 * New findings on an NE alerted (issue 16, HRD-3, OBJ-2): a finding at or above {@code
 * --vuln-alert-on} that appears on an NE, through its package report or an import of the
 * database, is audited ({@code VULN_FINDING}) and posted to the alert webhook (a real HTTP
 * receiver on loopback), once: not again on the next report or read, not twice when reads race,
 * never below the threshold.
 */
abstract class VulnAlertCases {
  static final String CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  static final String LOW = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";
  static TestServer s;
  static WebhookReceiver hook;
  static Path work;
  /** The PostgreSQL database of the running suite (null: the embedded one), dropped by stop. */
  private static String database;

  /**
   * Starts the shared server (alerts from HIGH up, the webhook on loopback) on PostgreSQL
   * database {@code database} (from {@link TestDb#create}), or the embedded one when null. Its
   * database grades telnetd's CVE-2026-24061 critical and openjdk's CVE-2025-30698 low.
   */
  static void startOn(String database) throws Exception {
    VulnAlertCases.database = database;
    work = Files.createTempDirectory("neguard-vulnalert-test-");
    VulnFixture.importFeed(work.resolve("db"), feed(work, "graded",
        record("CVE-2026-24061", "inetutils", "2:2.4-2+deb12u2", CRITICAL),
        record("CVE-2025-30698", "openjdk-17", "17.0.15+6-1~deb12u1", LOW)));
    hook = new WebhookReceiver();
    s = TestServer.start(database == null ? null : TestDb.url(database),
        b -> b.vuln(new ServerConfig.Vuln(Optional.of(work.resolve("db")), Duration.ofDays(7),
            Severity.HIGH)).alertWebhook(hook.url()));
  }

  static void stop() throws Exception {
    try {
      if (s != null) {
        s.close();
      }
      if (hook != null) {
        hook.close();
      }
      TestServer.delete(work);
    } finally {
      TestDb.drop(database);
    }
  }

  /** An OSV record of {@link VulnFixture#record}, graded by CVSS {@code vector} if not null. */
  static String record(String cve, String pkg, String fixed, String vector) {
    String r = VulnFixture.record(cve, pkg, fixed, Instant.now());
    return vector == null ? r : r.replace(",\"affected\":", ",\"severity\":[{\"type\":"
        + "\"CVSS_V3\",\"score\":\"" + vector + "\"}],\"affected\":");
  }

  static Path feed(Path dir, String name, String... records) throws Exception {
    Path f = dir.resolve(name + ".zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
      for (int i = 0; i < records.length; i++) {
        z.putNextEntry(new ZipEntry(name + "-" + i + ".json"));
        z.write(records[i].getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return f;
  }

  /** The VULN_FINDING audit rows about {@code deviceId}. */
  static List<String> findingRows(String deviceId) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : s.http.get("/api/audit?tail=true&limit=10000", s.adminToken()).json()) {
      if (r.path("action").asText().equals("VULN_FINDING")
          && r.path("target").asText().equals("device " + deviceId)) {
        out.add(r.path("detail").asText());
      }
    }
    return out;
  }

  @Test
  @DisplayName("HRD-3 OBJ-2 a report that makes a critical finding appear: one VULN_FINDING"
      + " audit row and one 'vulnerability.found' webhook POST naming the NE, advisory, CVE,"
      + " severity and the port it is reachable through; the low finding neither; the same"
      + " report again, and reads, alert nothing more")
  void report_newFinding_alertedOnce(@TempDir Path tmp) throws Exception {
    TestDevice d = TestDevice.enroll(s, "alert-1", "mme");
    PackageReport report = VulnFixture.report(VulnFixture.image(tmp));
    d.client.reportPackages(report);
    String body = hook.await("vulnerability.found", "\"deviceId\":\"alert-1\"",
        "DEBIAN-CVE-2026-24061");
    assertThat(body).contains("\"neType\":\"mme\"", "\"severity\":\"CRITICAL\"",
        "\"cves\":[\"CVE-2026-24061\"]", "\"port\":23", "\"fixedVersion\":\"2:2.4-2+deb12u2\"");
    assertThat(findingRows("alert-1")).singleElement().asString().contains(
        "new finding DEBIAN-CVE-2026-24061 (CVE-2026-24061), severity CRITICAL 9.8,"
            + " in inetutils-telnetd 2:2.4-2+deb12u1, fixed in 2:2.4-2+deb12u2, reachable"
            + " through tcp/23 (telnetd); at or above HIGH");

    d.client.reportPackages(report);
    d.client.reportPackages(report.withoutPackages());
    assertThat(s.http.get("/api/devices/alert-1/vulnerabilities", s.token(Role.AUDITOR))
        .status()).isEqualTo(200);
    assertThat(hook.untaken("\"deviceId\":\"alert-1\"", 1500)).as("no alert on a poll")
        .isEmpty();
    assertThat(findingRows("alert-1")).hasSize(1);
    assertThat(findingRows("alert-1").get(0)).doesNotContain("CVE-2025-30698");
  }

  @Test
  @DisplayName("HRD-3 OBJ-2 an import that makes a finding appear on reported NEs: alerted once"
      + " per NE at the first assessment after it, however many reads and reports race for it;"
      + " the findings alerted before are not alerted again")
  void import_newFinding_alertedOncePerNe(@TempDir Path tmp) throws Exception {
    List<TestDevice> devices = new ArrayList<>();
    for (String id : List.of("alert-imp-1", "alert-imp-2")) {
      TestDevice d = TestDevice.enroll(s, id, "mme");
      d.client.reportPackages(VulnFixture.report(VulnFixture.image(tmp.resolve(id))));
      hook.await("vulnerability.found", "\"deviceId\":\"" + id + "\"", "DEBIAN-CVE-2026-24061");
      devices.add(d);
    }
    // Ungraded: UNKNOWN counts as reaching every threshold.
    VulnFixture.importFeed(work.resolve("db"), feed(tmp, "more",
        record("CVE-2026-28372", "inetutils", "2:2.4-2+deb12u3", null)));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CyclicBarrier start = new CyclicBarrier(8);
      List<Future<Integer>> racing = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String id = i % 2 == 0 ? "alert-imp-1" : "alert-imp-2";
        TestDevice d = devices.get(i % 2);
        boolean read = i < 6;
        racing.add(pool.submit(() -> {
          start.await(30, TimeUnit.SECONDS);
          if (read) {
            Http.Response r = s.http.get("/api/devices/" + id + "/vulnerabilities",
                s.token(Role.AUDITOR));
            return r.status();
          }
          d.client.reportPackages(VulnFixture.report(VulnFixture.image(
              Files.createDirectories(work.resolve("race-" + id)))));
          return 200;
        }));
      }
      for (Future<Integer> f : racing) {
        assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    for (String id : List.of("alert-imp-1", "alert-imp-2")) {
      hook.await("vulnerability.found", "\"deviceId\":\"" + id + "\"", "DEBIAN-CVE-2026-28372",
          "\"severity\":\"UNKNOWN\"");
    }
    assertThat(hook.untaken("vulnerability.found", 1500)).as("each new finding once").isEmpty();
    for (String id : List.of("alert-imp-1", "alert-imp-2")) {
      assertThat(findingRows(id)).hasSize(2).anySatisfy(r -> assertThat(r)
          .contains("DEBIAN-CVE-2026-28372", "severity UNKNOWN"));
    }
  }
}
