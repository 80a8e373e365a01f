package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wiring of {@code neguard attest}: which request each command sends (method, path, query,
 * body), how {@code --wait} follows an attestation until judged, and the exit codes (0 only for
 * PASS, 3 for any other result or a timeout, 2 for bad usage before any request). The server
 * here is a loopback stub answering the wire records of org.neguard.api.attest; the run against
 * the real validation entity is AttestCliTest.
 */
@DisplayName("ATT-1 REC-1 neguard attest commands: requests, --wait and exit codes")
class AttestCommandsTest {
  private static final String TIM = "ab".repeat(32);
  /** "METHOD /path?query" to the answer: status and body. */
  private final Map<String, Function<String, String[]>> answers = new ConcurrentHashMap<>();
  /** "METHOD /path?query body" of every request, in order. */
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private String url;
  private Path config;
  @TempDir Path dir;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", x -> {
      String body;
      try (InputStream in = x.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      String q = x.getRequestURI().getRawQuery();
      String key = x.getRequestMethod() + " " + x.getRequestURI().getPath()
          + (q == null ? "" : "?" + q);
      asked.add(key + " " + body);
      String[] a = answers.getOrDefault(key, b -> new String[] {"404", """
          {"verdict": "fail", "reasons": [{"code": "BAD_INPUT", "message": "no such"}]}"""})
          .apply(body);
      byte[] out = a[1].getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().set("Content-Type", "application/json");
      x.sendResponseHeaders(Integer.parseInt(a[0]), out.length);
      x.getResponseBody().write(out);
      x.close();
    });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
    answers.put("POST /api/auth/login", b -> new String[] {"200", """
        {"id": "t1", "username": "op", "name": "neguard login",
         "createdAt": "2026-12-04T04:00:00Z", "expiresAt": "2099-12-04T16:00:00Z",
         "token": "ngt_0123456789abcdef0123456789abcdef"}"""});
    answers.put("GET /api/auth/whoami", b -> new String[] {"200",
        "{\"username\": \"op\", \"roles\": [\"operator\", \"approver\"], \"tokenId\": \"t1\"}"});
    Path pw = Files.writeString(dir.resolve("pw"), "a password\n");
    config = dir.resolve("config");
    CliRun login = CliRun.of("login", "--server", url, "--config", config.toString(), "--user",
        "op", "--password-file", pw.toString());
    assertThat(login.exit()).as("%s", login).isZero();
    asked.clear();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private CliRun cli(String... args) {
    return CliRun.as(config, args);
  }

  private static String[] result(String id, String reason, String result, String trust,
      String reasons) {
    return new String[] {result == null ? "202" : "200", """
        {"id": "%s", "deviceId": "dev-1", "reason": "%s", "result": %s,
         "trustBase": %s, "tim": %s, "trustState": "%s",
         "requestedAt": "2026-12-04T09:00:00Z", "judgedAt": %s, "reasons": %s}"""
        .formatted(id, reason, result == null ? "null" : "\"" + result + "\"",
            result == null ? "null" : "\"SOFTWARE_KEY\"",
            result == null ? "null" : "\"" + TIM + "\"", trust,
            result == null ? "null" : "\"2026-12-04T09:00:05Z\"", reasons)};
  }

  @Test
  @DisplayName("ATT-1 attest DEVICE --wait requests a challenge, polls until judged, exit 0 on"
      + " PASS with trust base, TIM and trust state")
  void attestWait_pass_exit0() {
    AtomicInteger polls = new AtomicInteger();
    answers.put("POST /api/devices/dev-1/attestations",
        b -> result("att-1", "REQUESTED", null, "trusted", "[]"));
    answers.put("GET /api/attestations/att-1", b -> polls.incrementAndGet() < 3
        ? result("att-1", "REQUESTED", null, "trusted", "[]")
        : result("att-1", "REQUESTED", "PASS", "trusted", "[]"));
    CliRun r = cli("attest", "dev-1", "--wait", "--interval", "1s", "--server", url);
    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(r.out()).startsWith("PASS  Attestation att-1 of device dev-1 (REQUESTED)")
        .contains("SOFTWARE_KEY").contains(TIM).contains("trust state  trusted");
    assertThat(asked).first().asString().startsWith("POST /api/devices/dev-1/attestations");
    assertThat(polls.get()).isEqualTo(3);
  }

  @Test
  @DisplayName("ATT-4 REC-1 attest DEVICE --wait exits 3 on FAIL, the reason naming component and"
      + " file; --json is the verdict, reasons and the record")
  void attestWait_fail_exit3() {
    String mismatch = """
        [{"code": "MEASUREMENT_MISMATCH", "message": "component pkg:core: file lib/core.so \
        differs from the reference", "subject": "pkg:core/lib/core.so"}]""";
    answers.put("POST /api/devices/dev-1/attestations",
        b -> result("att-2", "REQUESTED", null, "trusted", "[]"));
    answers.put("GET /api/attestations/att-2",
        b -> result("att-2", "REQUESTED", "FAIL", "quarantined", mismatch));
    CliRun r = cli("attest", "dev-1", "--wait", "--interval", "1s", "--server", url);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.out()).contains("result       FAIL").contains("trust state  quarantined")
        .contains("FAIL\n  MEASUREMENT_MISMATCH  component pkg:core: file lib/core.so differs");
    CliRun j = cli("attest", "dev-1", "--wait", "--interval", "1s", "--server", url, "--json");
    assertThat(j.exit()).as("%s", j).isEqualTo(3);
    assertThat(j.json().path("verdict").asText()).isEqualTo("fail");
    assertThat(j.json().path("reasons").get(0).path("subject").asText())
        .isEqualTo("pkg:core/lib/core.so");
    assertThat(j.json().path("result").asText()).isEqualTo("FAIL");
    assertThat(j.json().path("tim").asText()).isEqualTo(TIM);
  }

  @Test
  @DisplayName("attest DEVICE --wait gives up at --timeout with exit 3 ATTESTATION_FAILED; without"
      + " --wait it only requests, exit 0")
  void attestWait_timeout_exit3() {
    answers.put("POST /api/devices/dev-1/attestations",
        b -> result("att-3", "REQUESTED", null, "trusted", "[]"));
    answers.put("GET /api/attestations/att-3",
        b -> result("att-3", "REQUESTED", null, "trusted", "[]"));
    CliRun r = cli("attest", "dev-1", "--wait", "--timeout", "2s", "--interval", "1s",
        "--server", url);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.out()).contains("ATTESTATION_FAILED  attestation att-3 of device dev-1 was"
        + " not judged within the --timeout of PT2S");
    CliRun once = cli("attest", "dev-1", "--server", url);
    assertThat(once.exit()).as("%s", once).isZero();
    assertThat(once.out()).startsWith("Requested attestation att-3 of device dev-1")
        .contains("answers at its next poll");
  }

  @Test
  @DisplayName("REC-1 policy set sends the actions in order; a bad action is a usage error"
      + " before any request")
  void policySet() {
    answers.put("PUT /api/attestation/policies/mme", b -> new String[] {"200", """
        {"neType": "mme", "actions": ["quarantine", "rollback", "reinstall=core@1.0"],
         "updatedBy": "op", "updatedAt": "2026-12-04T09:00:00Z"}"""});
    CliRun r = cli("attest", "policy", "set", "mme", "--action", "quarantine", "--action",
        "rollback", "--action", "reinstall=core@1.0", "--server", url);
    assertThat(r.exit()).as("%s", r).isZero();
    assertThat(r.out()).contains("quarantine,rollback,reinstall=core@1.0");
    assertThat(asked).singleElement().asString().startsWith("PUT /api/attestation/policies/mme")
        .contains("\"actions\":[\"quarantine\",\"rollback\",\"reinstall=core@1.0\"]");
    asked.clear();
    CliRun bad = cli("attest", "policy", "set", "mme", "--action", "reinstall=core",
        "--server", url);
    assertThat(bad.exit()).as("%s", bad).isEqualTo(2);
    assertThat(bad.err()).contains("not an action: 'reinstall=core'");
    assertThat(asked).isEmpty();
  }

  @Test
  @DisplayName("OBJ-2 REC-3 status, history, baselines and readmit ask the endpoints of the"
      + " contract")
  void listsAndReadmit() {
    answers.put("GET /api/attestation/devices", b -> new String[] {"200", """
        [{"deviceId": "dev-1", "neType": "mme", "trustState": "quarantined",
          "trustReason": "MEASUREMENT_MISMATCH lib/core.so", "attestedAt": null,
          "nextAttestationAt": "2026-12-04T09:05:00Z", "lastResult": "FAIL"}]"""});
    CliRun s = cli("attest", "status", "--server", url);
    assertThat(s.exit()).as("%s", s).isZero();
    assertThat(s.out()).contains("dev-1").contains("quarantined").contains("FAIL")
        .contains("never");
    assertThat(cli("attest", "status", "--json", "--server", url).json().path("devices")
        .get(0).path("trustState").asText()).isEqualTo("quarantined");

    answers.put("GET /api/attestations?device=dev-1&limit=5", b -> new String[] {"200",
        "[" + result("att-1", "FIRST_CONTACT", "PASS", "trusted", "[]")[1] + "]"});
    CliRun h = cli("attest", "history", "dev-1", "--limit", "5", "--server", url);
    assertThat(h.exit()).as("%s", h).isZero();
    assertThat(h.out()).contains("att-1").contains("FIRST_CONTACT").contains("PASS");

    String baseline = """
        {"id": "bl-1", "deviceId": "dev-1", "component": "path:/etc/neguard", "digest": "%s",
         "files": 1, "state": "%s", "proposedAt": "2026-12-04T09:00:00Z",
         "approvers": %s}""";
    answers.put("GET /api/baselines?state=pending", b -> new String[] {"200",
        "[" + baseline.formatted(TIM, "pending", "[]") + "]"});
    assertThat(cli("attest", "baseline", "list", "--state", "pending", "--server", url).out())
        .contains("bl-1").contains("path:/etc/neguard");
    // A device names its own files: shown escaped, never as terminal control sequences.
    answers.put("GET /api/baselines/bl-1/files", b -> new String[] {"200",
        "[{\"path\": \"hosts\", \"sha256\": \"" + TIM + "\", \"mode\": \"0644\"},"
            + " {\"path\": \"evil\\u001b[2Jname\", \"sha256\": \"" + TIM
            + "\", \"mode\": \"0755\"}]"});
    CliRun show = cli("attest", "baseline", "show", "bl-1", "--server", url);
    assertThat(show.exit()).as("%s", show).isZero();
    assertThat(show.out()).contains("0644", "hosts", "2 files").doesNotContain("\u001b");
    answers.put("POST /api/baselines/bl-1/approve", b -> new String[] {"200",
        baseline.formatted(TIM, "pending", "[\"op\"]")});
    CliRun a = cli("attest", "baseline", "approve", "bl-1", "--server", url);
    assertThat(a.exit()).as("%s", a).isZero();
    assertThat(a.out()).contains("op (1 of 2)");
    answers.put("POST /api/baselines/approve?component=path%3A%2Fetc%2Fneguard&digest=" + TIM,
        b -> new String[] {"200", "[" + baseline.formatted(TIM, "pending", "[\"op\"]") + "]"});
    CliRun all = cli("attest", "baseline", "approve", "--component", "path:/etc/neguard",
        "--digest", TIM, "--server", url);
    assertThat(all.exit()).as("%s", all).isZero();
    assertThat(all.out()).startsWith("Approved 1 baselines of path:/etc/neguard");
    assertThat(cli("attest", "baseline", "approve", "bl-1", "--digest", TIM, "--server", url)
        .exit()).isEqualTo(2);
    answers.put("POST /api/baselines/bl-1/reject", b -> new String[] {"200",
        baseline.formatted(TIM, "rejected", "[]")});
    assertThat(cli("attest", "baseline", "reject", "bl-1", "--server", url).out())
        .startsWith("Rejected baseline bl-1");

    answers.put("POST /api/devices/dev-1/readmit",
        b -> result("att-9", "READMISSION", null, "quarantined", "[]"));
    CliRun rd = cli("attest", "readmit", "dev-1", "--server", url);
    assertThat(rd.exit()).as("%s", rd).isZero();
    assertThat(rd.out()).contains("att-9").contains("READMISSION");
  }

  @Test
  @DisplayName("attest without a device or command is a usage error; a server refusal keeps its"
      + " code")
  void usageAndRefusal() {
    CliRun none = cli("attest", "--server", url);
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("give a device to attest");
    answers.put("POST /api/devices/dev-2/attestations", b -> new String[] {"403", """
        {"verdict": "fail", "reasons": [{"code": "DEVICE_NOT_TRUSTED",
          "message": "device dev-2 is disabled", "subject": "dev-2"}]}"""});
    CliRun r = cli("attest", "dev-2", "--server", url);
    assertThat(r.exit()).as("%s", r).isEqualTo(3);
    assertThat(r.out()).contains("DEVICE_NOT_TRUSTED  device dev-2 is disabled");
  }
}
