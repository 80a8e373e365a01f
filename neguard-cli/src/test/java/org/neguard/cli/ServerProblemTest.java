package org.neguard.cli;

import org.neguard.cli.support.ServerClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.WhoAmI;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.Verdict;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The client against a newer server, a real loopback HTTP server that answers with reason codes
 * this client does not know: each is kept as written and classified by the problem's
 * {@code verdict}, never turned into another code (issue 11). Also the binding of answers to the
 * wire records.
 */
class ServerProblemTest {
  /** Path to the status and body the server answers it with. */
  private final Map<String, String[]> answers = new ConcurrentHashMap<>();
  /** The paths asked for, in order. */
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private String url;
  @TempDir Path dir;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", x -> {
      try (InputStream in = x.getRequestBody()) {
        in.readAllBytes();
      }
      asked.add(x.getRequestURI().getPath());
      String[] a = answers.getOrDefault(x.getRequestURI().getPath(),
          new String[] {"404", "{}"});
      byte[] body = a[1].getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().set("Content-Type", "application/json");
      x.sendResponseHeaders(Integer.parseInt(a[0]), body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private CliRun login(String... extra) throws IOException {
    Path pw = dir.resolve("pw");
    Files.writeString(pw, "a password\n");
    String[] base = {"login", "--server", url, "--config", dir.resolve("config").toString(),
        "--user", "alice", "--password-file", pw.toString()};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return CliRun.of(args);
  }

  /** The server answers a login of alice, and her whoami with {@code roles} (a JSON array). */
  private void answerLogin(String roles) {
    answers.put("/api/auth/login", new String[] {"200", """
        {"id": "t1", "username": "alice", "name": "neguard login",
         "createdAt": "2026-12-04T04:00:00Z", "expiresAt": "2026-12-04T16:00:00Z",
         "token": "ngt_0123456789abcdef0123456789abcdef"}"""});
    answers.put("/api/auth/whoami", new String[] {"200",
        "{\"username\": \"alice\", \"roles\": " + roles + ", \"tokenId\": \"t1\"}"});
  }

  @Test
  void unknownCode_verdictFail_isARefusal_exit3_codeKeptAsWritten() throws IOException {
    answers.put("/api/auth/login", new String[] {"422", """
        {"verdict": "fail", "reasons": [{"code": "ACCOUNT_QUARANTINED",
          "message": "held for review by the security officer", "subject": "alice",
          "hint": "a field this client does not know"}]}"""});

    CliRun text = login();
    assertThat(text.exit()).as("%s", text).isEqualTo(3);
    assertThat(text.out()).startsWith("FAIL").contains(
        "  ACCOUNT_QUARANTINED  held for review by the security officer");
    assertThat(text.out() + text.err()).doesNotContain("INTERNAL");

    CliRun json = login("--json");
    assertThat(json.exit()).as("%s", json).isEqualTo(3);
    JsonNode o = json.json();
    assertThat(o.path("verdict").asText()).isEqualTo("fail");
    assertThat(o.path("reasons")).hasSize(1);
    assertThat(o.path("reasons").get(0).path("code").asText()).isEqualTo("ACCOUNT_QUARANTINED");
    assertThat(o.path("reasons").get(0).path("subject").asText()).isEqualTo("alice");
  }

  @Test
  void unknownCode_verdictError_isAnError_exit1_onStandardError() throws IOException {
    answers.put("/api/auth/login", new String[] {"503", """
        {"verdict": "error", "reasons": [{"code": "HSM_OFFLINE",
          "message": "the token signing module does not answer; try again later"}]}"""});

    CliRun text = login();
    assertThat(text.exit()).as("%s", text).isEqualTo(1);
    assertThat(text.err()).startsWith("ERROR").contains("  HSM_OFFLINE  the token signing");
    assertThat(text.out()).isEmpty();

    CliRun json = login("--json");
    assertThat(json.exit()).as("%s", json).isEqualTo(1);
    assertThat(json.json().path("verdict").asText()).isEqualTo("error");
    assertThat(json.json().path("reasons").get(0).path("code").asText()).isEqualTo("HSM_OFFLINE");
    assertThat(json.json().path("reasons").get(0).has("subject")).isFalse();
  }

  @Test
  void unknownBesideKnownCode_theVerdictDecides_everyCodeKept() throws IOException {
    answers.put("/api/auth/login", new String[] {"422", """
        {"verdict": "fail", "reasons": [
          {"code": "NOT_AUTHENTICATED", "message": "wrong password"},
          {"code": "SECOND_FACTOR_MISSING", "message": "give the one-time code"}]}"""});

    CliRun json = login("--json");
    assertThat(json.exit()).as("%s", json).isEqualTo(3);
    assertThat(json.json().path("reasons").findValuesAsText("code"))
        .containsExactly("NOT_AUTHENTICATED", "SECOND_FACTOR_MISSING");
  }

  @Test
  void knownCodes_stayARefusalException_withTheClientsOwnCodes() throws Exception {
    answers.put("/api/auth/login", new String[] {"401", """
        {"verdict": "fail", "reasons": [{"code": "NOT_AUTHENTICATED", "message": "no"}]}"""});
    ServerClient c = ServerClient.of(url, null, null, false);
    assertThatThrownBy(() -> c.post("/api/auth/login",
        new LoginRequest("alice", "pw", null, null), Token.class))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.NOT_AUTHENTICATED));

    CliRun text = login();
    assertThat(text.exit()).as("%s", text).isEqualTo(3);
    assertThat(text.out()).contains("  NOT_AUTHENTICATED  no");
  }

  @Test
  void problemWithoutAUsableVerdict_unknownCode_isAnError_neverAPass() {
    Problem p = ServerClient.problem(422, """
        {"reasons": [{"code": "FROM_THE_FUTURE", "message": "m"}]}""");
    assertThat(p.verdict()).isEqualTo(Verdict.ERROR);
    assertThat(p.reasons().get(0).code()).isEqualTo("FROM_THE_FUTURE");

    Problem pass = ServerClient.problem(422, """
        {"verdict": "pass", "reasons": [{"code": "UNSIGNED", "message": "m"}]}""");
    assertThat(pass.verdict()).as("a refusal's status is never a pass").isEqualTo(Verdict.FAIL);

    Problem proxy = ServerClient.problem(502, "<html>Bad Gateway</html>");
    assertThat(proxy.known().orElseThrow().get(0).code()).isEqualTo(ReasonCode.INTERNAL);
  }

  @Test
  void answers_bindToTheWireRecords_newerFieldsIgnored() throws Exception {
    answers.put("/api/auth/whoami", new String[] {"200", """
        {"username": "alice", "roles": ["admin", "auditor"], "tokenId": "t1",
         "team": "a field of a newer server"}"""});
    answers.put("/api/packages", new String[] {"200", """
        [{"name": "ne-fw", "version": "1.2", "sha256": "aa", "manifestSha256": "bb",
          "sizeBytes": 10, "securityVersion": 3, "neType": "enb", "vendor": "ACME",
          "rim": "cc", "signerSubject": "CN=v", "signerFingerprint": "dd",
          "uploadedBy": "pub", "uploadedAt": "2026-12-04T03:31:25.123Z"}]"""});
    ServerClient c = ServerClient.of(url, "token", null, false);

    assertThat(c.get("/api/auth/whoami", WhoAmI.class))
        .isEqualTo(new WhoAmI("alice", RoleName.of(List.of(Role.ADMIN, Role.AUDITOR)), "t1"));
    List<PackageInfo> pkgs = c.get("/api/packages", new TypeReference<List<PackageInfo>>() {});
    assertThat(pkgs).singleElement().satisfies(p -> {
      assertThat(p.securityVersion()).isEqualTo(3);
      assertThat(p.uploadedAt()).isEqualTo("2026-12-04T03:31:25.123Z");
    });
  }

  @Test
  void unknownRole_refusedBeforeAnythingIsSent_namingIt() throws IOException {
    answerLogin("[\"admin\"]");
    assertThat(login().exit()).isZero();
    asked.clear();

    CliRun add = CliRun.of("user", "add", "bob", "--role", "wizard", "--server", url,
        "--config", dir.resolve("config").toString());

    assertThat(add.exit()).as("%s", add).isEqualTo(1);
    assertThat(add.err()).contains("BAD_INPUT", "unknown role 'wizard'");
    assertThat(asked).as("nothing sent").isEmpty();
  }

  @Test
  void unknownRole_inAnswers_shownAsWritten_byLoginAndUserList() throws IOException {
    answerLogin("[\"admin\", \"curator\"]");
    answers.put("/api/users", new String[] {"200", """
        [{"username": "alice", "roles": ["admin", "curator"], "disabled": false,
          "createdAt": "2026-12-04T04:00:00Z"},
         {"username": "carol", "roles": ["curator"], "disabled": true,
          "createdAt": "2026-12-04T04:00:00Z"}]"""});

    CliRun login = login();
    assertThat(login.exit()).as("%s", login).isZero();
    assertThat(login.out()).contains("as alice (admin,curator)");
    CliRun loginJson = login("--json");
    assertThat(loginJson.exit()).as("%s", loginJson).isZero();
    assertThat(loginJson.json().path("roles").toString()).isEqualTo("[\"admin\",\"curator\"]");

    String[] list = {"user", "list", "--server", url, "--config",
        dir.resolve("config").toString()};
    CliRun text = CliRun.of(list);
    assertThat(text.exit()).as("%s", text).isZero();
    assertThat(text.out()).containsPattern("alice +enabled +admin,curator")
        .containsPattern("carol +disabled +curator");
    String[] listJson = java.util.Arrays.copyOf(list, list.length + 1);
    listJson[list.length] = "--json";
    CliRun json = CliRun.of(listJson);
    assertThat(json.exit()).as("%s", json).isZero();
    assertThat(json.json().path("users").findValues("roles")).extracting(JsonNode::toString)
        .containsExactly("[\"admin\",\"curator\"]", "[\"curator\"]");
  }

  @Test
  void credentialsFileNotOfLogin_refusedNamingIt_notOverwritten() throws IOException {
    Path config = Files.createDirectory(dir.resolve("config"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path creds = Files.writeString(config.resolve("credentials.json"), "[\"not a login\"]");
    Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));

    CliRun logout = CliRun.of("logout", "--server", url, "--config", config.toString());

    assertThat(logout.exit()).as("%s", logout).isEqualTo(1);
    assertThat(logout.err()).contains("BAD_INPUT", "is not what 'neguard login' writes");
    assertThat(Files.readString(creds)).isEqualTo("[\"not a login\"]");
    assertThat(asked).isEmpty();
  }
}
