package org.neguard.cli.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.auth.LoginRequest;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.cli.support.ServerClient;
import org.neguard.pki.DemoPki;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.testing.TestPki;

/**
 * The authorization evidence against a newer server, one that refuses the unsigned upload with a
 * reason code this client does not know: a real server on loopback behind a loopback JDK HTTP
 * server that passes every request through and answers the upload itself. The refusal is
 * recorded as evidence with its code as written; the collection does not stop (issue 11).
 */
@DisplayName("SRC-2 evidence of a newer server's refusal")
class AuthzEvidenceNewerServerTest {
  private static final String NEWER_REFUSAL = """
      {"verdict": "fail", "reasons": [{"code": "PACKAGE_QUARANTINED",
        "message": "held for review by the security officer"}]}""";

  @TempDir static Path dir;
  static NeguardServer server;
  static PassThrough newer;
  static String newerUrl;

  @BeforeAll
  static void start() throws Exception {
    Path pw = dir.resolve("admin-password");
    Files.writeString(pw, "evidence-test-admin-password\n");
    Path anchor = dir.resolve("ca.pem");
    Files.writeString(anchor, DemoPki.pem(TestPki.create().root));
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(pw).build(), List.of(anchor), List.of());
    newer = PassThrough.start(server.url(), (method, path, type, pass) ->
        method.equals("POST") && path.equals("/api/packages")
            && "application/octet-stream".equals(type)
            ? new PassThrough.Reply(422, NEWER_REFUSAL.getBytes(StandardCharsets.UTF_8))
            : pass.send());
    newerUrl = newer.url();
  }

  @AfterAll
  static void stop() throws Exception {
    if (newer != null) {
      newer.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void unknownCodeRefusal_recordedAsWritten_evidenceComplete() throws Exception {
    ServerClient anonymous = ServerClient.of(newerUrl, null, null, false);
    String token = anonymous.login(new LoginRequest("admin", "evidence-test-admin-password",
        "evidence test", 1L)).token();
    Path out = dir.resolve("evidence");

    AuthzEvidence.Result r = AuthzEvidence.collect(anonymous.withToken(token), out);

    assertThat(r.failed()).as("a refusal, but not the UNSIGNED one required")
        .containsExactly("TC-SRC2-02");
    assertThat(r.notTested()).as("no package stored: nothing to deploy (SRC-1 four-eyes)")
        .containsExactly("TC-SRC1-07", "TC-SRC1-08", "TC-SRC1-09", "TC-SRC1-10", "TC-SRC1-11",
            "TC-SRC3-04");
    JsonNode doc = new ObjectMapper().readTree(r.json().toFile());
    JsonNode upload = null;
    for (JsonNode c : doc.path("testCases")) {
      if (c.path("id").asText().equals("TC-SRC2-02")) {
        upload = c;
      }
    }
    assertThat(upload).isNotNull();
    assertThat(upload.toString())
        .contains("PACKAGE_QUARANTINED: held for review by the security officer")
        .doesNotContain("INTERNAL");
    assertThat(doc.path("auditChain").path("intact").asBoolean())
        .as("the cases after the upload ran").isTrue();
  }
}
