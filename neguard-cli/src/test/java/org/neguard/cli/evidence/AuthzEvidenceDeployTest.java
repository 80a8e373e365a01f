package org.neguard.cli.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.Deployment;
import org.neguard.api.device.Device;
import org.neguard.cli.SignedBundles;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.cli.support.ServerClient;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;

/**
 * The deployment part of the authorization evidence against a real server with a published
 * package: the agents' API refuses users (SRC-1), four-eyes on approval (SRC-1) and an audit
 * row for each refused approval (SRC-3); and a server that lets a deployment's creator approve
 * it (a pass-through that turns the FOUR_EYES refusal into a 200) fails TC-SRC1-07.
 */
@DisplayName("SRC-1 SRC-3 evidence of deployment: agents' port, four-eyes")
class AuthzEvidenceDeployTest {
  private static final String PASSWORD = "evidence-deploy-admin-password";
  private static final List<String> DEPLOY_CASES = List.of("TC-SRC1-06", "TC-SRC1-07",
      "TC-SRC1-08", "TC-SRC1-09", "TC-SRC1-10", "TC-SRC1-11", "TC-SRC3-04");

  @TempDir static Path dir;
  static NeguardServer server;
  static PassThrough creatorAdmitted;
  static ServerClient admin;

  @BeforeAll
  static void start() throws Exception {
    Path pw = dir.resolve("admin-password");
    Files.writeString(pw, PASSWORD + "\n");
    Path pki = SignedBundles.demoPki(dir.resolve("pki"));
    byte[] lib = new byte[10_000];
    new Random(7).nextBytes(lib);
    Path bundle = SignedBundles.build(dir, pki, "evidence-core", "1.0", 1, "mme", lib);
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(pw).build(), List.of(pki.resolve("ca.pem")), List.of());
    admin = login(server.url().toString());
    String pub = admin.createUser(new CreateUserRequest("deploy-test-publisher", null,
        List.of(Role.PUBLISHER))).password();
    ServerClient publisher = admin.withToken(admin.withToken(null).login(
        new LoginRequest("deploy-test-publisher", pub, "test", 1L)).token());
    publisher.uploadPackage(bundle);
    // Misbehaves on one point only: the creator's own approval is answered as admitted.
    creatorAdmitted = PassThrough.start(server.url(), (method, path, type, pass) -> {
      PassThrough.Reply real = pass.send();
      boolean fourEyes = real.status() == 403
          && new String(real.body(), StandardCharsets.UTF_8).contains("\"FOUR_EYES\"");
      return fourEyes ? new PassThrough.Reply(200, "{}".getBytes(StandardCharsets.UTF_8)) : real;
    });
  }

  private static ServerClient login(String url) throws Exception {
    ServerClient anonymous = ServerClient.of(url, null, null, false);
    return anonymous.withToken(anonymous.login(
        new LoginRequest("admin", PASSWORD, "evidence test", 1L)).token());
  }

  @AfterAll
  static void stop() throws Exception {
    if (creatorAdmitted != null) {
      creatorAdmitted.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static Map<String, String> verdicts(AuthzEvidence.Result r) throws Exception {
    Map<String, String> v = new HashMap<>();
    for (JsonNode c : new ObjectMapper().readTree(r.json().toFile()).path("testCases")) {
      v.put(c.path("id").asText(), c.path("verdict").asText());
    }
    return v;
  }

  @Test
  @DisplayName("SRC-1 SRC-3: on a correct server the deployment cases pass, probes cleaned up")
  void correctServer_deploymentCasesPass_probeDeviceDisabled() throws Exception {
    AuthzEvidence.Result r = AuthzEvidence.collect(admin, dir.resolve("evidence-correct"));

    assertThat(r.failed()).as("%s", Files.readString(r.json())).isEmpty();
    assertThat(r.notTested()).isEmpty();
    Map<String, String> v = verdicts(r);
    DEPLOY_CASES.forEach(id -> assertThat(v).containsEntry(id, "PASS"));
    JsonNode doc = new ObjectMapper().readTree(r.json().toFile());
    boolean agentsRow = false;
    boolean consoleUpload = false;
    for (JsonNode row : doc.path("matrix")) {
      if ("POST".equals(row.path("method").asText())
          && "/console/packages/upload".equals(row.path("path").asText())) {
        // The console's upload form (issue 18), probed with a console session of each role.
        consoleUpload = true;
        assertThat(row.path("results").path("publisher").asInt()).as("%s", row)
            .isNotIn(401, 403);
        for (String role : List.of("admin", "operator", "approver", "auditor")) {
          assertThat(row.path("results").path(role).asInt()).as("%s", row).isEqualTo(403);
        }
      }
      if ("agents".equals(row.path("port").asText())) {
        agentsRow = true;
        assertThat(row.path("results").path("admin").asInt()).as("%s", row).isEqualTo(401);
      } else if (row.path("path").asText().startsWith("/api/device/")) {
        assertThat(row.path("results").path("none").asInt()).as("%s", row).isEqualTo(404);
      }
    }
    assertThat(agentsRow).as("the device endpoints were probed on the agents' port").isTrue();
    assertThat(consoleUpload).as("the console's upload form was probed").isTrue();
    List<Device> probes = admin.devices(null, null).stream()
        .filter(d -> d.id().startsWith("evidence-probe-")).toList();
    assertThat(probes).isNotEmpty().allSatisfy(d -> assertThat(d.disabledAt()).isNotNull());
    List<Deployment> deployments = admin.deployments().stream()
        .filter(d -> d.createdBy().startsWith("evidence-deployer-")).toList();
    assertThat(deployments).isNotEmpty()
        .allSatisfy(d -> assertThat(d.state()).isEqualTo("cancelled"));
  }

  @Test
  @DisplayName("SRC-1: a server that lets the creator approve fails the four-eyes case")
  void creatorAdmitted_fourEyesCaseFails() throws Exception {
    AuthzEvidence.Result r = AuthzEvidence.collect(login(creatorAdmitted.url()),
        dir.resolve("evidence-misbehaving"));

    assertThat(r.failed()).containsExactly("TC-SRC1-07");
    assertThat(new ObjectMapper().readTree(r.json().toFile()).toString())
        .contains("200; deployment");
  }
}
