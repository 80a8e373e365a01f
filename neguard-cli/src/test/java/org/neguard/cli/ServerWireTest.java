package org.neguard.cli;

import org.neguard.cli.server.ServerLauncher;
import org.neguard.cli.support.ServerClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.audit.AuditRecord;
import org.neguard.api.audit.AuditVerification;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Endpoint;
import org.neguard.api.auth.IssueTokenRequest;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.RolesRequest;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.User;
import org.neguard.api.auth.WhoAmI;
import org.neguard.api.pkg.TrustInfo;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The wire records against a real server on loopback: each answer binds to its record with
 * unknown fields refused, so a field the server sends and the record lacks fails here, and the
 * typed client methods return what the server stored.
 */
@DisplayName("SRC-1 SRC-3 wire records")
class ServerWireTest {
  /** Refuses unknown fields, unlike the client's own reader, which a newer server must pass. */
  private static final ObjectMapper STRICT = new ObjectMapper();

  @TempDir static Path dir;
  static NeguardServer server;
  static ServerClient admin;

  @BeforeAll
  static void start() throws Exception {
    Path pki = dir.resolve("pki");
    assertThat(CliRun.of("pki", "demo", "--out", pki.toString()).exit()).isZero();
    Path pw = dir.resolve("admin-password");
    Files.writeString(pw, "wire-test-admin-password\n");
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(pw).build(), List.of(pki.resolve("ca.pem")), List.of());
    ServerClient anonymous = ServerClient.of(server.url().toString(), null, null, false);
    Token t = anonymous.login(
        new LoginRequest("admin", "wire-test-admin-password", "wire test", 1L));
    assertThat(t.token()).isNotBlank();
    assertThat(t.revokedAt()).isNull();
    admin = anonymous.withToken(t.token());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static <T> T strict(String path, Class<T> type) throws Exception {
    return STRICT.treeToValue(admin.get(path, JsonNode.class), type);
  }

  private static <T> List<T> strictList(String path, Class<T> type) throws Exception {
    JsonNode n = admin.get(path, JsonNode.class);
    return STRICT.readerForListOf(type).readValue(n);
  }

  @Test
  void accounts_bindStrictly_andRoundTrip() throws Exception {
    WhoAmI me = admin.whoami();
    assertThat(me.username()).isEqualTo("admin");
    assertThat(me.roles()).containsExactly(RoleName.of(Role.ADMIN));
    assertThat(strict("/api/auth/whoami", WhoAmI.class)).isEqualTo(me);

    CreatedUser c = admin.createUser(
        new CreateUserRequest("wire-pub", null, List.of(Role.PUBLISHER)));
    assertThat(c.password()).as("generated, shown once").isNotBlank();
    assertThat(c.user().roles()).containsExactly(RoleName.of(Role.PUBLISHER));
    assertThat(admin.setRoles("wire-pub", new RolesRequest(List.of(Role.AUDITOR,
        Role.PUBLISHER))).roles()).containsExactlyElementsOf(
        RoleName.of(List.of(Role.PUBLISHER, Role.AUDITOR)));
    assertThat(admin.setDisabled("wire-pub", true).disabled()).isTrue();
    List<User> users = admin.users();
    assertThat(users).contains(new User("wire-pub",
        RoleName.of(List.of(Role.PUBLISHER, Role.AUDITOR)), true,
        c.user().createdAt()));
    assertThat(strictList("/api/users", User.class)).isEqualTo(users);
    assertThat(admin.setDisabled("wire-pub", false).disabled()).isFalse();

    assertThatThrownBy(() -> admin.createUser(
        new CreateUserRequest("wire-pub", null, List.of(Role.PUBLISHER))))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.CONFLICT));
  }

  @Test
  void tokens_issueListRevoke() throws Exception {
    Token t = admin.issueToken(new IssueTokenRequest("wire extra", 1L));
    assertThat(t.token()).isNotBlank();
    List<Token> mine = admin.tokens(false);
    assertThat(mine).extracting(Token::id).contains(t.id());
    assertThat(mine).allSatisfy(x -> assertThat(x.token()).as("never shown again").isNull());
    assertThat(strictList("/api/tokens", Token.class)).isEqualTo(admin.tokens(false));
    assertThat(admin.revokeToken(t.id()).revoked()).isTrue();
    assertThat(admin.tokens(false)).filteredOn(x -> x.id().equals(t.id()))
        .singleElement().satisfies(x -> assertThat(x.revokedAt()).isNotNull());
  }

  @Test
  void endpointsTrustPackagesAudit_bindStrictly() throws Exception {
    List<Endpoint> endpoints = admin.endpoints();
    assertThat(endpoints).contains(new Endpoint("GET", "/api/users", "roles",
        RoleName.of(List.of(Role.ADMIN, Role.AUDITOR))));
    assertThat(strictList("/api/endpoints", Endpoint.class)).isEqualTo(endpoints);

    TrustInfo trust = admin.trust();
    assertThat(trust.anchors()).isNotEmpty();
    assertThat(strict("/api/trust", TrustInfo.class)).isEqualTo(trust);

    assertThat(admin.packages()).isEmpty();

    List<AuditRecord> rows = admin.audit(0, 1000, false);
    assertThat(rows).extracting(AuditRecord::action).contains("LOGIN");
    assertThat(strictList("/api/audit?limit=1000", AuditRecord.class)).isEqualTo(rows);

    AuditVerification v = admin.verifyAudit();
    assertThat(v.intact()).isTrue();
    assertThat(v.headHash()).hasSize(64);
    assertThat(v.firstBadSeq()).isNull();
    assertThat(strict("/api/audit/verify", AuditVerification.class).intact()).isTrue();
  }
}
