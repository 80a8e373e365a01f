package org.neguard.server.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.neguard.server.drift.DriftFixture.inventory;
import static org.neguard.server.drift.DriftFixture.policy;
import static org.neguard.server.drift.DriftFixture.tcp;
import static org.neguard.server.drift.DriftFixture.upload;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceApiException;
import org.neguard.api.device.DriftFinding;
import org.neguard.api.device.InventoryVerdict;
import org.neguard.api.device.ListeningPort;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.server.Http;
import org.neguard.server.TestServer;
import org.neguard.server.TestServer.Role;
import org.neguard.server.WebhookReceiver;
import org.neguard.server.device.TestDevice;

/**
 * Port drift on the server (HRD-1, HRD-4): hardening policies uploaded, refused when invalid,
 * versioned and audited; the agents' inventories judged for the device of the client certificate
 * only, refused when malformed or too large with nothing stored; findings opened, audited,
 * alerted through the webhook (a real HTTP listener on loopback) and resolved when the port is
 * shown closed.
 */
@DisplayName("HRD-1 HRD-4 port drift on the server")
class DriftTest {
  static TestServer s;
  static WebhookReceiver hook;

  @BeforeAll
  static void start() throws Exception {
    hook = new WebhookReceiver();
    s = TestServer.start(null, b -> b.alertWebhook(hook.url()));
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

  static int count(TestServer s, String sql) throws Exception {
    try (Connection c = s.db(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  @DisplayName("HRD-1 a policy that PolicyParser refuses, or of another NE type, is refused 400"
      + " with the reason; nothing stored, a failure row")
  void upload_invalidPolicy_refused_nothingStored() throws Exception {
    Http.Response bad = upload(s, s.adminToken(), "bad-type",
        "schema: neguard-hardening-policy/1\nneType: bad-type\nallowed:\n  - port: 22\n");
    assertThat(bad.status()).as("%s", bad).isEqualTo(400);
    assertThat(bad.code()).isEqualTo("POLICY_INVALID");
    assertThat(bad.json().path("reasons").get(0).path("message").asText()).contains("line 4");

    Http.Response other = upload(s, s.adminToken(), "bad-type", policy("mme", "x"));
    assertThat(other.status()).as("%s", other).isEqualTo(400);
    assertThat(other.code()).isEqualTo("BAD_INPUT");
    assertThat(other.body()).contains("for NE type 'mme', not 'bad-type'");

    Http.Response notYaml = upload(s, s.adminToken(), "bad-type", "{{{{");
    assertThat(notYaml.status()).as("%s", notYaml).isEqualTo(400);

    assertThat(count(s, "SELECT COUNT(*) FROM hardening_policies WHERE ne_type = 'bad-type'"))
        .isZero();
    assertThat(s.http.get("/api/policies/bad-type", s.adminToken()).status()).isEqualTo(404);
    assertThat(TestDevice.auditTail(s, 10)).contains("POLICY_UPLOAD", "hardening policy bad-type",
        "failure", "not 'bad-type'");
  }

  @Test
  @DisplayName("HRD-1 only an admin uploads a policy; every role reads them")
  void upload_byOperator_refused403() {
    Http.Response r = upload(s, s.token(Role.OPERATOR), "op-type", policy("op-type", "x"));
    assertThat(r.status()).as("%s", r).isEqualTo(403);
    assertThat(s.http.get("/api/policies", s.token(Role.AUDITOR)).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("HRD-1 each upload is a new version, the previous kept; each an audit row with"
      + " who, NE type, version and sha256")
  void upload_twice_twoVersions_auditRows() throws Exception {
    String v1 = policy("ver-type", "first");
    String v2 = policy("ver-type", "second");
    Http.Response r1 = upload(s, s.adminToken(), "ver-type", v1);
    Http.Response r2 = upload(s, s.adminToken(), "ver-type", v2);
    assertThat(r1.status()).as("%s", r1).isEqualTo(201);
    assertThat(r2.status()).as("%s", r2).isEqualTo(201);
    assertThat(r1.json().path("version").asInt()).isEqualTo(1);
    assertThat(r2.json().path("version").asInt()).isEqualTo(2);
    String sha2 = org.neguard.measure.Sha256.hex(v2.getBytes(StandardCharsets.UTF_8));
    assertThat(r2.json().path("sha256").asText()).isEqualTo(sha2);

    JsonNode current = s.http.get("/api/policies/ver-type", s.adminToken()).json();
    assertThat(current.path("version").asInt()).isEqualTo(2);
    assertThat(current.path("content").asText()).isEqualTo(v2);
    JsonNode first = s.http.get("/api/policies/ver-type?version=1", s.adminToken()).json();
    assertThat(first.path("content").asText()).isEqualTo(v1);
    assertThat(first.path("current").asBoolean()).isFalse();
    assertThat(s.http.get("/api/policies/ver-type?version=3", s.adminToken()).status())
        .isEqualTo(404);

    JsonNode list = s.http.get("/api/policies", s.adminToken()).json();
    assertThat(list.findValues("neType").stream().filter(n -> n.asText().equals("ver-type")))
        .hasSize(2);
    String audit = TestDevice.auditTail(s, 20);
    assertThat(audit).contains("POLICY_UPLOAD", "\"actor\":\"admin\"",
        "hardening policy ver-type", "version 2; sha256 " + sha2);
  }

  @Test
  @DisplayName("HRD-1 HRD-4 no policy for the NE type: the judgement says NO_POLICY, never PASS")
  void inventory_noPolicy_saysNoPolicy() throws Exception {
    TestDevice d = TestDevice.enroll(s, "drift-nopol", "nopol-type");
    InventoryVerdict v = d.client.reportInventory(inventory("h", true,
        tcp("0.0.0.0", 4444, 10, "nc")));
    assertThat(v.verdict()).isEqualTo(InventoryVerdict.NO_POLICY);
    assertThat(v.policyVersion()).isNull();
    assertThat(v.messages().get(0)).contains("no hardening policy", "nopol-type",
        "neguard policy upload");
    assertThat(s.http.get("/api/devices/drift-nopol/drift", s.adminToken()).json()
        .path("lastVerdict").asText()).isEqualTo("NO_POLICY");
  }

  @Test
  @DisplayName("HRD-1 HRD-4 an undeclared port opens a finding (audit row, webhook), a forbidden"
      + " service too; an incomplete inventory resolves nothing; the port shown closed resolves"
      + " it (audit row, webhook)")
  void inventory_undeclaredPort_findingOpenedThenResolved() throws Exception {
    findingLifecycle(s, hook, "drift-e");
  }

  /** The whole lifecycle, shared with the PostgreSQL test. */
  static void findingLifecycle(TestServer s, WebhookReceiver hook, String id)
      throws Exception {
    String type = id + "-type";
    assertThat(upload(s, s.adminToken(), type, policy(type, "drift")).status()).isEqualTo(201);
    TestDevice d = TestDevice.enroll(s, id, type);

    InventoryVerdict clean = d.client.reportInventory(inventory(id, true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(clean.verdict()).isEqualTo("PASS");
    assertThat(clean.undeclared()).isEmpty();

    InventoryVerdict drift = d.client.reportInventory(inventory(id, true,
        tcp("0.0.0.0", 22, 1, "sshd"), tcp("127.0.0.1", 4444, 77, "nc"),
        tcp("0.0.0.0", 23, 78, "telnetd")));
    assertThat(drift.verdict()).isEqualTo("FAIL");
    assertThat(drift.policyVersion()).isEqualTo(1);
    assertThat(drift.undeclared()).containsExactlyInAnyOrder(
        new ListeningPort("tcp", 4444, "127.0.0.1"), new ListeningPort("tcp", 23, "0.0.0.0"));
    assertThat(drift.opened()).extracting(DriftFinding::kind)
        .containsExactlyInAnyOrder("UNDECLARED", "FORBIDDEN");
    DriftFinding nc = drift.opened().stream().filter(f -> f.port().port() == 4444).findFirst()
        .orElseThrow();
    assertThat(nc.process()).isEqualTo("77 nc");
    assertThat(nc.resolvedAt()).isNull();
    assertThat(TestDevice.auditTail(s, 10)).contains("DRIFT_DETECTED", "\"actor\":\"device " + id,
        "undeclared tcp/4444 on 127.0.0.1 (77 nc)", "forbidden tcp/23");
    String alert = hook.await("drift.detected", "\"deviceId\":\"" + id + "\"", "\"port\":4444");
    assertThat(alert).startsWith("POST ").contains("\"neType\":\"" + type + "\"");
    hook.await("drift.detected", "\"deviceId\":\"" + id + "\"", "\"port\":23");

    JsonNode out = s.http.get("/api/drift", s.token(Role.OPERATOR)).json();
    assertThat(out.findValues("deviceId").stream().map(JsonNode::asText)).contains(id);

    // The same ports again: nothing new opened, nothing alerted twice.
    InventoryVerdict again = d.client.reportInventory(inventory(id, true,
        tcp("0.0.0.0", 22, 1, "sshd"), tcp("127.0.0.1", 4444, 77, "nc"),
        tcp("0.0.0.0", 23, 78, "telnetd")));
    assertThat(again.opened()).isEmpty();
    assertThat(again.open()).hasSize(2);

    // Incomplete (a table unread): a port missing from it is not shown closed.
    InventoryVerdict partial = d.client.reportInventory(inventory(id, false,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(partial.verdict()).isEqualTo("INCONCLUSIVE");
    assertThat(partial.resolved()).isEmpty();
    assertThat(partial.open()).hasSize(2);

    InventoryVerdict closed = d.client.reportInventory(inventory(id, true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(closed.verdict()).isEqualTo("PASS");
    assertThat(closed.open()).isEmpty();
    assertThat(closed.resolved()).extracting(DriftFinding::resolution)
        .containsExactly("closed", "closed");
    assertThat(TestDevice.auditTail(s, 10)).contains("DRIFT_RESOLVED",
        "finding " + nc.id() + ": tcp/4444 on 127.0.0.1 closed");
    hook.await("drift.resolved", "\"deviceId\":\"" + id + "\"", "\"port\":4444",
        "\"resolution\":\"closed\"");
    JsonNode history = s.http.get("/api/devices/" + id + "/drift", s.token(Role.AUDITOR))
        .json();
    assertThat(history.path("openFindings").asInt()).isZero();
    assertThat(history.path("findings")).hasSize(2);
    assertThat(history.path("findings").get(0).path("resolvedAt").isTextual()).isTrue();
    assertThat(s.http.get("/api/drift", s.adminToken()).json().findValues("deviceId").stream()
        .map(JsonNode::asText)).doesNotContain(id);
  }

  @Test
  @DisplayName("HRD-1 HRD-4 a declared port on an interface the policy does not allow opens a"
      + " WRONG_INTERFACE finding (not blocked everywhere by enforce mode), resolved only once it"
      + " listens where allowed; a socket reported in a state that proves nothing (filtered)"
      + " does not resolve its finding")
  void inventory_wrongInterfaceAndUnprovenStates_findingsKeptUntilProven() throws Exception {
    String type = "drift-if-type";
    String yaml = DriftFixture.managementOnly(type, 22);
    assertThat(upload(s, s.adminToken(), type, yaml).status()).isEqualTo(201);
    TestDevice d = TestDevice.enroll(s, "drift-if", type);

    InventoryVerdict wildcard = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(wildcard.verdict()).isEqualTo("FAIL");
    assertThat(wildcard.opened()).extracting(DriftFinding::kind)
        .containsExactly("WRONG_INTERFACE");
    // Enforce mode blocks what the answer lists on every address: not ssh, which the policy
    // allows on the management network.
    assertThat(wildcard.undeclared()).isEmpty();
    hook.await("drift.detected", "\"deviceId\":\"drift-if\"", "\"port\":22");
    assertThat(s.http.get("/api/drift", s.token(Role.OPERATOR)).json().findValues("deviceId")
        .stream().map(JsonNode::asText)).contains("drift-if");

    // Still on every address: the finding stays open, no second one.
    InventoryVerdict again = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(again.opened()).isEmpty();
    assertThat(again.resolved()).isEmpty();
    assertThat(again.open()).hasSize(1);

    // An undeclared port, then the same socket reported filtered: that proves it neither
    // closed nor allowed, so nothing is resolved.
    InventoryVerdict nc = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd"), tcp("127.0.0.1", 4444, 77, "nc")));
    assertThat(nc.opened()).extracting(DriftFinding::kind).containsExactly("UNDECLARED");
    ObservedPort filtered = new ObservedPort(Transport.TCP, "127.0.0.1", 4444,
        PortState.FILTERED, null, "test", null, List.of());
    InventoryVerdict unproven = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd"), filtered));
    assertThat(unproven.resolved()).isEmpty();
    assertThat(unproven.open()).hasSize(2);

    // The policy now allows ssh everywhere (version 2): the wildcard socket is allowed where
    // it listens, so its finding is resolved as allowed; nc, still unproven, stays open.
    assertThat(upload(s, s.adminToken(), type, yaml.replace(
        "    reachableOn: [198.51.100.0/24]\n", "")).status()).isEqualTo(201);
    InventoryVerdict allowed = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd"), filtered));
    assertThat(allowed.resolved()).extracting(f -> f.port().port() + " " + f.resolution())
        .containsExactly("22 allowed by policy version 2");
    assertThat(allowed.open()).extracting(f -> f.port().port()).containsExactly(4444);
    // nc gone from the inventory: closed.
    InventoryVerdict gone = d.client.reportInventory(inventory("drift-if", true,
        tcp("0.0.0.0", 22, 1, "sshd")));
    assertThat(gone.verdict()).isEqualTo("PASS");
    assertThat(gone.open()).isEmpty();
    assertThat(gone.resolved()).extracting(f -> f.port().port() + " " + f.resolution())
        .containsExactly("4444 closed");
  }

  @Test
  @DisplayName("HRD-4 a device reports for itself only: an inventory naming another host is"
      + " judged for the sender's certificate, the other device untouched")
  void inventory_namingAnotherDevice_countsForTheSender() throws Exception {
    assertThat(upload(s, s.adminToken(), "self-type", policy("self-type", "x")).status())
        .isEqualTo(201);
    TestDevice a = TestDevice.enroll(s, "drift-self-a", "self-type");
    TestDevice.enroll(s, "drift-self-b", "self-type");
    InventoryVerdict v = a.client.reportInventory(inventory("drift-self-b", true,
        tcp("0.0.0.0", 5555, 5, "evil")));
    assertThat(v.opened()).extracting(DriftFinding::deviceId).containsExactly("drift-self-a");
    assertThat(count(s, "SELECT COUNT(*) FROM drift_findings WHERE device_id = 'drift-self-b'"))
        .isZero();
    assertThat(count(s, "SELECT COUNT(*) FROM device_inventories"
        + " WHERE device_id = 'drift-self-b'")).isZero();
    // Not on the users' port, not with a user's token.
    Http.Response users = s.http.sendRaw("POST", "/api/device/v1/inventory",
        Map.of("Authorization", "Bearer " + s.adminToken(), "Content-Type", "application/json"),
        inventory("x", true));
    assertThat(users.status()).isEqualTo(404);
  }

  @Test
  @DisplayName("HRD-4 a device listing more sockets against the policy than findings are kept"
      + " opens no more than the bound; the rest are still named for enforcement, and said")
  void inventory_moreSocketsThanTheBound_boundedFindings() throws Exception {
    assertThat(upload(s, s.adminToken(), "many-type", policy("many-type", "x")).status())
        .isEqualTo(201);
    TestDevice d = TestDevice.enroll(s, "drift-many", "many-type");
    int n = DriftJudge.MAX_OPEN_FINDINGS + 3;
    org.neguard.harden.ObservedPort[] ports = new org.neguard.harden.ObservedPort[n];
    for (int i = 0; i < n; i++) {
      ports[i] = tcp("0.0.0.0", 10_000 + i, 100 + i, "spam");
    }
    InventoryVerdict v = d.client.reportInventory(inventory("h", true, ports));
    assertThat(v.undeclared()).hasSize(n);
    assertThat(v.opened()).hasSize(DriftJudge.MAX_OPEN_FINDINGS);
    assertThat(v.messages().get(0)).startsWith("3 more socket(s)");
    assertThat(count(s, "SELECT COUNT(*) FROM drift_findings WHERE device_id = 'drift-many'"
        + " AND resolved_at IS NULL")).isEqualTo(DriftJudge.MAX_OPEN_FINDINGS);
    // The out-of-policy list carries the whole count and the first few findings of each.
    JsonNode listed = null;
    for (JsonNode each : s.http.get("/api/drift", s.token(Role.OPERATOR)).json()) {
      listed = "drift-many".equals(each.path("deviceId").asText()) ? each : listed;
    }
    assertThat(listed).isNotNull();
    assertThat(listed.path("openFindings").asInt()).isEqualTo(DriftJudge.MAX_OPEN_FINDINGS);
    assertThat(listed.path("findings")).hasSize(DriftJudge.LIST_FINDINGS);

    // Another set of as many sockets, the first gone: the old findings resolved and as many
    // new ones opened in the same report (the bound counted after the resolutions).
    for (int i = 0; i < n; i++) {
      ports[i] = tcp("0.0.0.0", 20_000 + i, 100 + i, "spam");
    }
    InventoryVerdict other = d.client.reportInventory(inventory("h", true, ports));
    assertThat(other.resolved()).hasSize(DriftJudge.MAX_OPEN_FINDINGS);
    assertThat(other.opened()).hasSize(DriftJudge.MAX_OPEN_FINDINGS);
  }

  @Test
  @DisplayName("HRD-4 malformed inventories are refused 400 with the reason; nothing stored")
  void inventory_malformed_refused400_nothingStored() throws Exception {
    TestDevice d = TestDevice.enroll(s, "drift-bad", "bad-inv-type");
    int before = count(s, "SELECT COUNT(*) FROM device_inventories");
    String good = new String(inventory("h", true, tcp("0.0.0.0", 22, 1, "sshd")),
        StandardCharsets.UTF_8);
    Map<String, String> bodies = Map.of(
        "not JSON", "{",
        "unknown field", good.replaceFirst("\\{", "{\"extra\":1,"),
        "duplicate key", good.replaceFirst("\\{", "{\"complete\":true,"),
        "a scan, not an inventory", good.replace("\"source\" : \"inventory\"",
            "\"source\" : \"scan\""),
        "port out of range", good.replace("\"port\" : 22", "\"port\" : 70000"),
        "empty JSON", "null");
    for (Map.Entry<String, String> e : bodies.entrySet()) {
      DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
          () -> d.client.reportInventory(e.getValue().getBytes(StandardCharsets.UTF_8)));
      assertThat(x).as(e.getKey()).isNotNull();
      assertThat(x.status()).as(e.getKey() + ": " + x.getMessage()).isEqualTo(400);
      assertThat(x.code()).as(e.getKey()).isEqualTo("BAD_INPUT");
    }
    assertThat(good).contains("\"source\" : \"inventory\"", "\"port\" : 22");
    assertThat(count(s, "SELECT COUNT(*) FROM device_inventories")).isEqualTo(before);
    assertThat(count(s, "SELECT COUNT(*) FROM drift_findings WHERE device_id = 'drift-bad'"))
        .isZero();
    assertThat(TestDevice.auditTail(s, 5)).contains("DRIFT_INVENTORY", "failure");
  }

  @Test
  @DisplayName("HRD-4 an inventory above the limit is refused 413 SIZE_LIMIT on its length, and"
      + " a chunked one without a length at the limit; nothing stored")
  void inventory_oversized_refused413() throws Exception {
    TestDevice d = TestDevice.enroll(s, "drift-big", "big-inv-type");
    int before = count(s, "SELECT COUNT(*) FROM device_inventories");
    byte[] big = new byte[DriftJudge.MAX_INVENTORY_BYTES + 1];
    java.util.Arrays.fill(big, (byte) ' ');
    DeviceApiException x = catchThrowableOfType(DeviceApiException.class,
        () -> d.client.reportInventory(big));
    assertThat(x.status()).isEqualTo(413);
    assertThat(x.code()).isEqualTo("SIZE_LIMIT");
    assertThat(count(s, "SELECT COUNT(*) FROM device_inventories")).isEqualTo(before);

    // Without a Content-Length (chunked): above this endpoint's limit, below the server-wide
    // 1 MiB body limit (whose refusal has its own test), so that only the endpoint's own bound
    // can refuse it. (Much more and the server closes the connection after the swallow bound,
    // which the JDK client reports as a broken pipe rather than the answer.)
    long offered = DriftJudge.MAX_INVENTORY_BYTES + (64 << 10);
    java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
    java.io.InputStream endless = new java.io.InputStream() {
      @Override
      public int read() {
        return read.getAndIncrement() < offered ? ' ' : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        long left = offered - read.get();
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) ' ');
        read.addAndGet(n);
        return n;
      }
    };
    Http.Response chunked = DriftFixture.chunked(d.identity(), s.server.deviceUrl(),
        "/api/device/v1/inventory", endless);
    assertThat(chunked.status()).as("%s", chunked).isEqualTo(413);
    assertThat(chunked.code()).isEqualTo("SIZE_LIMIT");
    assertThat(count(s, "SELECT COUNT(*) FROM device_inventories")).isEqualTo(before);
  }
}
