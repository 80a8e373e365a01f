package org.neguard.server.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.neguard.server.drift.DriftFixture.inventory;
import static org.neguard.server.drift.DriftFixture.policy;
import static org.neguard.server.drift.DriftFixture.tcp;
import static org.neguard.server.drift.DriftFixture.upload;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.InventoryBudget;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.InventoryLimits;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.harden.inventory.LocalInventory;
import org.neguard.server.ServerConfig;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.WebhookReceiver;
import org.neguard.server.device.TestDevice;

/**
 * Port drift against a device, or a local user on it, that would rather not be judged (HRD-4,
 * what an outside review found): a report refused is recorded and alerted, never left at the
 * last PASS; a socket flood is fitted by the agent and judged; a device silent too long is
 * alerted; a device reporting in a loop is refused before it fills the findings, the audit log
 * or the alert receiver; addresses are compared in the one form the agent writes them.
 */
@DisplayName("HRD-4 port drift holds against a device that would rather not be judged")
class DriftBoundsTest {
  /** Reports per device before the budget is spent; none refilled while the tests run. */
  static final int BURST = 12;
  static TestServer s;
  static WebhookReceiver hook;

  @BeforeAll
  static void start() throws Exception {
    hook = new WebhookReceiver();
    // The server's own overdue look never runs during the tests: the test looks itself.
    s = TestServer.start(null, b -> b.alertWebhook(hook.url()).drift(new ServerConfig.Drift(
        BURST, Duration.ofHours(1), Duration.ofMinutes(30), Duration.ofDays(1))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (s != null) {
      s.close();
    }
    if (hook != null) {
      hook.close();
    }
  }

  private static JsonNode drift(String id) {
    return s.http.get("/api/devices/" + id + "/drift", s.token(Role.AUDITOR)).json();
  }

  private static List<String> outOfPolicy() {
    return s.http.get("/api/drift", s.token(Role.OPERATOR)).json().findValues("deviceId")
        .stream().map(JsonNode::asText).toList();
  }

  private static void sql(String statement) throws Exception {
    try (Connection c = s.db()) {
      c.createStatement().executeUpdate(statement);
    }
  }

  private static TestDevice device(String id) {
    String type = id + "-type";
    assertThat(upload(s, s.adminToken(), type, policy(type, "bounds")).status())
        .isEqualTo(201);
    return TestDevice.enroll(s, id, type);
  }

  @Test
  @DisplayName("HRD-4 a refused report leaves the device REFUSED, not at its last PASS: audited"
      + " each time with the count, alerted once, listed out of policy until a report is"
      + " accepted")
  void inventory_refused_lastVerdictRefused_alertedOnce_untilAccepted() throws Exception {
    TestDevice d = device("drift-refused");
    assertThat(d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")))
        .verdict()).isEqualTo("PASS");
    byte[] scan = new String(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")),
        java.nio.charset.StandardCharsets.UTF_8).replace("\"source\" : \"inventory\"",
        "\"source\" : \"scan\"").getBytes(java.nio.charset.StandardCharsets.UTF_8);

    DeviceApiException first = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory(scan));
    assertThat(first.status()).isEqualTo(400);
    JsonNode refused = drift("drift-refused");
    assertThat(refused.path("lastVerdict").asText()).isEqualTo(InventoryVerdict.REFUSED);
    assertThat(refused.path("refusal").asText()).startsWith("BAD_INPUT: ").contains("'scan'");
    assertThat(refused.path("refusals").asInt()).isEqualTo(1);
    assertThat(refused.path("refusedAt").isTextual()).isTrue();
    assertThat(hook.await("drift.refused", "\"deviceId\":\"drift-refused\"",
        "\"refusals\":1")).contains("BAD_INPUT");
    assertThat(outOfPolicy()).contains("drift-refused");

    catchThrowableOfType(DeviceApiException.class, () -> d.client.reportInventory(scan));
    assertThat(drift("drift-refused").path("refusals").asInt()).isEqualTo(2);
    assertThat(TestDevice.auditTail(s, 3)).contains("DRIFT_INVENTORY",
        "(2 reports refused since the last accepted one)");
    assertThat(hook.untaken("\"deviceId\":\"drift-refused\"", 500))
        .as("a second refusal within the hour is not alerted again").isEmpty();

    assertThat(d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")))
        .verdict()).isEqualTo("PASS");
    JsonNode accepted = drift("drift-refused");
    assertThat(accepted.path("lastVerdict").asText()).isEqualTo("PASS");
    assertThat(accepted.path("refusals").asInt()).isZero();
    assertThat(outOfPolicy()).doesNotContain("drift-refused");
  }

  @Test
  @DisplayName("HRD-4 a local process opening more sockets than a report may list: the whole"
      + " inventory is refused (REFUSED, alerted); fitted by the agent it is judged, incomplete,"
      + " never PASS")
  void inventory_realSocketFlood_agentFitsIt_judgedNeverPass() throws Exception {
    TestDevice d = device("drift-flood");
    assertThat(openFilesLimit()).as("this test opens %d sockets: raise the open files limit"
        + " (ulimit -n, LimitNOFILE)", InventoryLimits.MAX_PORTS + 200)
        .isGreaterThan(InventoryLimits.MAX_PORTS + 600);
    List<ServerSocket> flood = new ArrayList<>();
    try {
      for (int i = 0; i < InventoryLimits.MAX_PORTS + 200; i++) {
        flood.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      Observation taken = LocalInventory.system().take();
      assertThat(taken.ports().size()).isGreaterThan(InventoryLimits.MAX_PORTS);

      DeviceApiException whole = catchThrowableOfType(DeviceApiException.class,
          () -> d.client.reportInventory(ObservationCodec.encode(taken)));
      assertThat(whole.status()).as("%s", whole).isEqualTo(413);
      assertThat(drift("drift-flood").path("lastVerdict").asText())
          .isEqualTo(InventoryVerdict.REFUSED);
      hook.await("drift.refused", "\"deviceId\":\"drift-flood\"", "SIZE_LIMIT");

      Observation fitted = InventoryBudget.fit(taken);
      assertThat(fitted.complete()).isFalse();
      InventoryVerdict v = d.client.reportInventory(ObservationCodec.encode(fitted));
      assertThat(v.verdict()).isEqualTo("FAIL");
      assertThat(v.opened()).isNotEmpty();
      assertThat(v.messages().get(0)).startsWith("the inventory is incomplete")
          .contains("listening sockets left out");
      JsonNode judged = drift("drift-flood");
      assertThat(judged.path("lastVerdict").asText()).isEqualTo("FAIL");
      assertThat(judged.path("refusals").asInt()).isZero();
      assertThat(hook.await("drift.incomplete", "\"deviceId\":\"drift-flood\""))
          .contains("listening sockets left out");
      assertThat(hook.await("drift.detected.more", "\"deviceId\":\"drift-flood\""))
          .contains("more findings in this report");
      assertThat(outOfPolicy()).contains("drift-flood");
    } finally {
      for (ServerSocket each : flood) {
        each.close();
      }
    }
  }

  @Test
  @DisplayName("HRD-4 a device beyond its report budget is refused 429 RATE_LIMITED: nothing"
      + " stored, judged or recorded as its verdict, refused reports too; a refilled budget"
      + " takes reports again")
  void inventory_beyondBudget_refused429_nothingStored() throws Exception {
    TestDevice d = device("drift-loop");
    byte[] body = inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd"), tcp("0.0.0.0", 4444, 7,
        "nc"));
    for (int i = 0; i < BURST; i++) {
      d.client.reportInventory(body);
    }
    int stored = DriftTest.count(s, "SELECT COUNT(*) FROM device_inventories"
        + " WHERE device_id = 'drift-loop'");
    DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory(body));
    assertThat(x.status()).isEqualTo(429);
    assertThat(x.code()).isEqualTo("RATE_LIMITED");
    assertThat(x.getMessage()).contains("budget (" + BURST + " at once", "accepted in");
    DeviceApiException refused = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory("{".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(refused.status()).as("a refused report spends the budget too").isEqualTo(429);
    assertThat(DriftTest.count(s, "SELECT COUNT(*) FROM device_inventories"
        + " WHERE device_id = 'drift-loop'")).isEqualTo(stored);
    JsonNode after = drift("drift-loop");
    assertThat(after.path("lastVerdict").asText()).isEqualTo("FAIL");
    assertThat(after.path("refusals").asInt()).isZero();
    assertThat(after.path("findings")).hasSize(1);

    sql("UPDATE device_drift SET tokens_at = tokens_at - INTERVAL '2' HOUR"
        + " WHERE device_id = 'drift-loop'");
    assertThat(d.client.reportInventory(body).verdict()).isEqualTo("FAIL");
  }

  @Test
  @DisplayName("HRD-4 a replica whose clock is behind never moves the budget's time back, so a"
      + " replica ahead finds no refill in the difference")
  void inventory_budgetWrittenByAReplicaAhead_timeNotMovedBack() throws Exception {
    TestDevice d = device("drift-skew");
    d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")));
    // As a replica an hour ahead left it: one report left, stamped an hour from now.
    sql("UPDATE device_drift SET report_tokens = 1, tokens_at = CURRENT_TIMESTAMP"
        + " + INTERVAL '1' HOUR WHERE device_id = 'drift-skew'");
    d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(DriftTest.count(s, "SELECT COUNT(*) FROM device_drift WHERE device_id ="
        + " 'drift-skew' AND tokens_at > CURRENT_TIMESTAMP + INTERVAL '50' MINUTE"
        + " AND report_tokens < 0.01")).as("spent, its time kept an hour ahead").isEqualTo(1);
    DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd"))));
    assertThat(x.status()).isEqualTo(429);
  }

  @Test
  @DisplayName("HRD-4 an SCTP endpoint bound to several addresses is judged, not refused; one"
      + " bound to a great many is kept under its first addresses and their count, the same in"
      + " every report")
  void inventory_multihomedSctp_judgedAndKeyedStably() throws Exception {
    TestDevice d = device("drift-sctp");
    ObservedPort s1ap = new ObservedPort(Transport.SCTP, "10.20.0.5 10.21.0.5", 36412,
        PortState.OPEN, null, null, null, List.of());
    StringBuilder many = new StringBuilder();
    for (int i = 2; i < 22; i++) {
      many.append(many.length() == 0 ? "" : " ").append("127.0.0.").append(i);
    }
    ObservedPort spread = new ObservedPort(Transport.SCTP, many.toString(), 5000,
        PortState.OPEN, null, null, null, List.of());
    InventoryVerdict v = d.client.reportInventory(ObservationCodec.encode(
        observation(Map.of(), s1ap, spread)));
    String key = "127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8"
        + " 127.0.0.9 (and more)";
    assertThat(v.opened()).extracting(f -> f.port().address()).containsExactly(key);
    assertThat(v.undeclared()).containsExactly(new ListeningPort("sctp", 5000, key));
    InventoryVerdict again = d.client.reportInventory(ObservationCodec.encode(
        observation(Map.of(), s1ap, spread)));
    assertThat(again.opened()).isEmpty();
    assertThat(again.open()).hasSize(1);

    ObservedPort bad = new ObservedPort(Transport.SCTP, "10.20.0.5  10.21.0.5", 36412,
        PortState.OPEN, null, null, null, List.of());
    DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory(ObservationCodec.encode(observation(Map.of(), bad))));
    assertThat(x.status()).isEqualTo(400);
  }

  @Test
  @DisplayName("HRD-4 a device silent past --drift-overdue is audited and alerted once, listed"
      + " out of policy, until its next report")
  void overdue_deviceSilent_auditedAlertedOnce_clearedByItsReport() throws Exception {
    TestDevice d = device("drift-silent");
    d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")));
    DriftWatch watch = s.bean(DriftWatch.class);
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    assertThat(watch.look(now)).doesNotContain("drift-silent");

    sql("UPDATE device_drift SET last_inventory_at = last_inventory_at - INTERVAL '31' MINUTE"
        + " WHERE device_id = 'drift-silent'");
    assertThat(watch.look(now)).contains("drift-silent");
    assertThat(TestDevice.auditTail(s, 5)).contains("DRIFT_OVERDUE", "device drift-silent",
        "overdue after PT30M");
    hook.await("drift.overdue", "\"deviceId\":\"drift-silent\"");
    JsonNode silent = drift("drift-silent");
    assertThat(silent.path("overdueSince").isTextual()).as("%s", silent).isTrue();
    assertThat(outOfPolicy()).contains("drift-silent");
    assertThat(watch.look(now)).as("alerted once").doesNotContain("drift-silent");

    d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(drift("drift-silent").path("overdueSince").isTextual()).isFalse();
    assertThat(outOfPolicy()).doesNotContain("drift-silent");
  }

  @Test
  @DisplayName("HRD-4 a socket opened and closed in a loop keeps no more than the bound of"
      + " resolved findings; the newest are kept")
  void inventory_resolvedHistory_keptToTheBound() throws Exception {
    TestDevice d = device("drift-churn");
    try (Connection c = s.db(); PreparedStatement insert = c.prepareStatement(
        "INSERT INTO drift_findings (device_id, protocol, port, address, kind, detail,"
            + " policy_version, opened_at, resolved_at, resolution) VALUES ('drift-churn',"
            + " 'tcp', ?, '0.0.0.0', 'UNDECLARED', 'old', 1, CURRENT_TIMESTAMP,"
            + " CURRENT_TIMESTAMP, 'closed')")) {
      for (int i = 0; i < DriftJudge.KEEP_RESOLVED; i++) {
        insert.setInt(1, 30_000 + i % 1000);
        insert.addBatch();
      }
      insert.executeBatch();
    }
    d.client.reportInventory(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd"),
        tcp("0.0.0.0", 4444, 7, "nc")));
    InventoryVerdict closed = d.client.reportInventory(inventory("h", true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    DriftFinding last = closed.resolved().get(0);
    assertThat(DriftTest.count(s, "SELECT COUNT(*) FROM drift_findings"
        + " WHERE device_id = 'drift-churn' AND resolved_at IS NOT NULL"))
        .isEqualTo(DriftJudge.KEEP_RESOLVED);
    assertThat(DriftTest.count(s, "SELECT COUNT(*) FROM drift_findings WHERE id = "
        + last.id())).isEqualTo(1);
  }

  @Test
  @DisplayName("HRD-4 an address not as the agent writes it (another spelling of ::, padded,"
      + " a NUL) and an interface address that is none are refused 400, never a 500; a process"
      + " name with control characters, a bidirectional override or a lone surrogate is judged"
      + " and stored without them")
  void inventory_addressesNotAsTheAgentWrites_refused400() throws Exception {
    TestDevice d = device("drift-forms");
    Map<String, Observation> bad = new LinkedHashMap<>();
    bad.put("another spelling of ::", observation(Map.of(), port("0:0::0", 4444, "nc")));
    bad.put("upper-case IPv6", observation(Map.of(), port("FE80::1", 4444, "nc")));
    bad.put("padded", observation(Map.of(), port("0.0.0.0" + " ".repeat(600), 4444, "nc")));
    bad.put("a NUL", observation(Map.of(), port("0.0.0.0\u0000", 4444, "nc")));
    bad.put("a name", observation(Map.of(), port("localhost", 4444, "nc")));
    bad.put("a mapped address spelt in hexadecimal",
        observation(Map.of(), port("::ffff:7f00:1", 4444, "nc")));
    bad.put("interface address", observation(Map.of("interface.eth0", "10.0.0.1,not-an-ip"),
        port("0.0.0.0", 22, "sshd")));
    for (Map.Entry<String, Observation> e : bad.entrySet()) {
      DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
          () -> d.client.reportInventory(ObservationCodec.encode(e.getValue())));
      assertThat(x).as(e.getKey()).isNotNull();
      assertThat(x.status()).as(e.getKey() + ": " + x.getMessage()).isEqualTo(400);
      assertThat(x.code()).as(e.getKey()).isEqualTo("BAD_INPUT");
    }
    assertThat(DriftTest.count(s, "SELECT COUNT(*) FROM drift_findings"
        + " WHERE device_id = 'drift-forms'")).isZero();

    InventoryVerdict v = d.client.reportInventory(ObservationCodec.encode(observation(Map.of(),
        port("::", 4444, "n\u0000c\u001b[2J"), port("::ffff:127.0.0.1", 4445, "nc"),
        port("::", 4446, "\u202etxt.exe\ud800"))));
    assertThat(v.opened()).extracting(DriftFinding::process)
        .containsExactly("7 n?c?[2J", "7 nc", "7 ?txt.exe?");
    assertThat(v.opened()).extracting(DriftFinding::port).containsExactly(
        new ListeningPort("tcp", 4444, "::"), new ListeningPort("tcp", 4445, "::ffff:127.0.0.1"),
        new ListeningPort("tcp", 4446, "::"));
  }

  @Test
  @DisplayName("HRD-4 a socket listed twice, declared on the wrong interface and identified as"
      + " a forbidden service, is judged by the weightier: forbidden, and blocked by enforce mode")
  void inventory_sameSocketListedTwice_weightierStatusDecides() throws Exception {
    String type = "drift-twice-type";
    assertThat(upload(s, s.adminToken(), type, DriftFixture.managementOnly(type, 2222))
        .status()).isEqualTo(201);
    TestDevice d = TestDevice.enroll(s, "drift-twice", type);
    ObservedPort plain = port("0.0.0.0", 2222, "sshd");
    ObservedPort telnet = new ObservedPort(Transport.TCP, "0.0.0.0", 2222, PortState.OPEN,
        "telnet", null, new ProcessInfo(8, "telnetd", "/usr/sbin/telnetd", "root"), List.of());
    InventoryVerdict v = d.client.reportInventory(ObservationCodec.encode(
        observation(Map.of(), plain, telnet)));
    assertThat(v.opened()).extracting(DriftFinding::kind).containsExactly("FORBIDDEN");
    assertThat(v.undeclared()).containsExactly(new ListeningPort("tcp", 2222, "0.0.0.0"));
  }

  /** This JVM's soft limit of open files, from /proc/self/limits. */
  private static long openFilesLimit() throws Exception {
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(
        "/proc/self/limits"))) {
      if (line.startsWith("Max open files")) {
        String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
        return "unlimited".equals(soft) ? Long.MAX_VALUE : Long.parseLong(soft);
      }
    }
    throw new AssertionError("no 'Max open files' line in /proc/self/limits");
  }

  private static ObservedPort port(String address, int port, String process) {
    return new ObservedPort(Transport.TCP, address, port, PortState.OPEN, null, null,
        new ProcessInfo(7, process, "/usr/bin/" + process, "root"), List.of());
  }

  private static Observation observation(Map<String, String> parameters,
      ObservedPort... ports) {
    Instant now = Instant.now();
    return new Observation("inventory", "h", "h", "NEGuard test", now, now, true, parameters,
        List.of(ports), List.of());
  }
}
