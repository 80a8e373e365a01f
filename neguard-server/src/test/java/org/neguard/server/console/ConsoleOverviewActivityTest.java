package org.neguard.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.Http;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;

/**
 * The overview's chart of attestation failures and deployments over time (issue 18): the SVG's
 * numbers against rows this test writes; and the users page's "last used" of a token.
 */
@DisplayName("ATT-4 REC-1 console overview: failures and deployments over time")
class ConsoleOverviewActivityTest {
  private static final Pattern COLUMN = Pattern.compile("<g class=\"column\" data-start=\"([^\"]+)\""
      + " data-failures=\"(\\d+)\" data-deployments=\"(\\d+)\">");
  static TestServer s;
  static ConsoleSession operator;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    s.token(Role.OPERATOR);
    operator = new ConsoleSession(s.server.url());
    assertThat(operator.login(ConsoleSecurityTest.user(Role.OPERATOR),
        ConsoleSecurityTest.password(Role.OPERATOR)).statusCode()).isEqualTo(302);
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
  }

  /** The chart's columns: bucket start, then {failures, deployments}. */
  static Map<Instant, int[]> columns(String page) {
    String svg = page.substring(page.indexOf("id=\"activity-chart\""));
    svg = svg.substring(0, svg.indexOf("</svg>"));
    assertThat(svg).doesNotContain("<script").doesNotContain("style=");
    Map<Instant, int[]> out = new LinkedHashMap<>();
    Matcher m = COLUMN.matcher(svg);
    while (m.find()) {
      out.put(Instant.parse(m.group(1)),
          new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
    }
    return out;
  }

  static Instant bucket(Instant t, Duration size) {
    long s = size.toSeconds();
    return Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), s) * s);
  }

  @Test
  @DisplayName("ATT-4 the chart counts the failed attestations and the deployments of each"
      + " hour (24 h) and day (7 days), and nothing outside")
  void overviewChart_countsRowsPerBucket() throws Exception {
    Instant now = Instant.now();
    Instant failAt = now.minus(Duration.ofHours(2));
    Instant oldFailAt = now.minus(Duration.ofHours(30));
    Instant deployAt = now.minus(Duration.ofMinutes(70));
    Instant oldDeployAt = now.minus(Duration.ofDays(3));
    try (Connection c = s.db()) {
      device(c, "chart-ne-1");
      for (int i = 0; i < 3; i++) {
        attestation(c, "chart-a" + i, "chart-ne-1", failAt.plusSeconds(i), "FAIL");
      }
      attestation(c, "chart-old", "chart-ne-1", oldFailAt, "FAIL");
      attestation(c, "chart-pass", "chart-ne-1", failAt, "PASS"); // not a failure
      attestation(c, "chart-ancient", "chart-ne-1", now.minus(Duration.ofDays(9)), "FAIL");
      deployment(c, "chart-d1", deployAt);
      deployment(c, "chart-d2", deployAt.plusSeconds(5));
      deployment(c, "chart-d3", oldDeployAt);
    }
    String day = operator.get("/console?window=24h").body();
    Map<Instant, int[]> hours = columns(day);
    assertThat(hours).hasSize(24);
    Map<Instant, int[]> expected = new LinkedHashMap<>();
    hours.keySet().forEach(k -> expected.put(k, new int[2]));
    expected.get(bucket(failAt, Duration.ofHours(1)))[0] = 3;
    expected.get(bucket(deployAt, Duration.ofHours(1)))[1] = 2;
    hours.forEach((k, v) -> assertThat(v).as(k.toString()).containsExactly(expected.get(k)));
    assertThat(day).contains("3 attestation failure(s)").contains("2 deployment(s)");

    Map<Instant, int[]> days = columns(operator.get("/console?window=7d").body());
    assertThat(days).hasSize(7);
    int[] failures = new int[1];
    int[] deployments = new int[1];
    days.forEach((k, v) -> {
      failures[0] += v[0];
      deployments[0] += v[1];
    });
    assertThat(failures[0]).isEqualTo(4);
    assertThat(deployments[0]).isEqualTo(3);
    assertThat(days.get(bucket(oldDeployAt, Duration.ofDays(1)))[1]).isEqualTo(1);
    assertThat(days.get(bucket(oldFailAt, Duration.ofDays(1)))[0])
        .isEqualTo(bucket(oldFailAt, Duration.ofDays(1)).equals(bucket(failAt,
            Duration.ofDays(1))) ? 4 : 1);
    // A window the page does not know is the last 24 hours, not an error.
    assertThat(columns(operator.get("/console?window=%3Cx%3E").body())).hasSize(24);
    // In Chromium, under the console's CSP: the chart drawn, kept as a screenshot.
    try (Browser b = Browser.start(s.server.url())) {
      b.login(ConsoleSecurityTest.user(Role.OPERATOR), ConsoleSecurityTest.password(Role.OPERATOR));
      b.open("/console?window=7d#activity"); // scrolled to the chart: no script needed
      assertThat(b.text("activity-failures")).isEqualTo("4 attestation failure(s)");
      assertThat(b.element("activity-chart").getSize().getWidth()).isGreaterThan(100);
      b.element("activity").getLocation(); // laid out
      b.screenshot("overview-activity-7d");
      b.open("/console?window=24h#activity");
      b.screenshot("overview-activity-24h");
    }
  }

  @Test
  @DisplayName("SRC-1 the users page shows when each API token was last used")
  void usersPage_showsTokenLastUse() throws Exception {
    Http.Response used = s.http.post("/api/tokens", s.token(Role.OPERATOR),
        Map.of("name", "chart-used"));
    Http.Response unused = s.http.post("/api/tokens", s.token(Role.OPERATOR),
        Map.of("name", "chart-unused"));
    String usedId = used.json().path("id").asText();
    String unusedId = unused.json().path("id").asText();
    Instant before = Instant.now().minusSeconds(1);
    assertThat(s.http.get("/api/auth/whoami", used.json().path("token").asText()).status())
        .isEqualTo(200);
    ConsoleSession admin = new ConsoleSession(s.server.url());
    admin.login("admin", TestServer.ADMIN_PASSWORD);
    String page = admin.get("/console/users").body();
    Matcher m = Pattern.compile("id=\"last-used-" + usedId + "\">([^<]+)<").matcher(page);
    assertThat(m.find()).as(page).isTrue();
    assertThat(Instant.parse(m.group(1))).isAfterOrEqualTo(before.truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS)).isBeforeOrEqualTo(Instant.now());
    assertThat(page).contains("id=\"last-used-" + unusedId + "\">never<");
    try (Browser b = Browser.start(s.server.url())) {
      b.login("admin", TestServer.ADMIN_PASSWORD);
      b.open("/console/users");
      assertThat(b.text("last-used-" + unusedId)).isEqualTo("never");
      b.screenshot("users-last-used");
    }
  }

  static void device(Connection c, String id) throws Exception {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO devices (id, ne_type,"
        + " trust_state, enrolled_at, enrollment_token, cert_serial, cert_not_after)"
        + " VALUES (?, 'mme', 'trusted', ?, 'test', ?, ?)")) {
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      p.setString(1, id);
      p.setObject(2, now);
      p.setString(3, "serial-" + id);
      p.setObject(4, now.plusDays(1));
      p.executeUpdate();
    }
  }

  static void attestation(Connection c, String id, String device, Instant judged, String result)
      throws Exception {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO attestations (id, device_id,"
        + " nonce, reason, requested_by, requested_at, expires_at, judged_at, result)"
        + " VALUES (?, ?, ?, 'SCHEDULED', 'test', ?, ?, ?, ?)")) {
      OffsetDateTime t = judged.atOffset(ZoneOffset.UTC);
      p.setString(1, id);
      p.setString(2, device);
      p.setString(3, "nonce-" + id);
      p.setObject(4, t.minusMinutes(1));
      p.setObject(5, t.plusMinutes(5));
      p.setObject(6, t);
      p.setString(7, result);
      p.executeUpdate();
    }
  }

  static void deployment(Connection c, String id, Instant created) throws Exception {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO deployments (id, package_name,"
        + " package_version, bundle_sha256, bundle_length, package_ne_type, security_version,"
        + " state, state_reason, created_by, created_at, updated_at, expires_at,"
        + " required_approvals, rollback, success_threshold, error_threshold, current_wave,"
        + " wave_count) VALUES (?, 'chart-pkg', '1.0.0', ?, 1, 'mme', 1, 'cancelled', 'test',"
        + " 'test', ?, ?, ?, 1, false, 100, 0, 0, 0)")) {
      OffsetDateTime t = created.atOffset(ZoneOffset.UTC);
      p.setString(1, id);
      p.setString(2, "0".repeat(64));
      p.setObject(3, t);
      p.setObject(4, t);
      p.setObject(5, t.plusDays(7));
      p.executeUpdate();
    }
  }
}
