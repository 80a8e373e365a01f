package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.io.FileTrees;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;

/**
 * {@code neguard recover} against a real server on loopback (REC-2): a campaign over the
 * quarantined devices of a type, shown with its kind by {@code deploy status} and {@code deploy
 * list}; a malformed {@code --to} is a usage error.
 */
@DisplayName("REC-2 neguard recover")
class RecoverCliTest {
  static Path dir;
  static NeguardServer server;
  static String url;
  static Path admin;
  static Path op;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-cli-recover-test-");
    Path pki = SignedBundles.demoPki(dir.resolve("pki"));
    byte[] lib = new byte[20_000];
    new java.util.Random(7).nextBytes(lib);
    Path bundle = SignedBundles.build(dir, pki, "core", "1.0", 1, "mme", lib);
    Path adminPw = write("admin-password", "recover-test-admin-password");
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(adminPw).build(), List.of(pki.resolve("ca.pem")), List.of());
    url = server.url().toString();
    admin = login("admin", adminPw);
    op = addUser("op", "operator");
    Path pub = addUser("pub", "publisher");
    CliRun up = cli(pub, "pkg", "upload", bundle.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    try (Connection c = DriverManager.getConnection(
        NeguardServer.embeddedUrl(dir.resolve("data/db")), "sa", "")) {
      for (String[] d : new String[][] {{"q-1", "quarantined"}, {"q-2", "quarantined"},
          {"t-1", "trusted"}}) {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO devices (id, ne_type,"
            + " trust_state, enrolled_at, enrollment_token, cert_serial, cert_not_after)"
            + " VALUES (?, 'mme', ?, ?, 'test', ?, ?)")) {
          p.setString(1, d[0]);
          p.setString(2, d[1]);
          p.setObject(3, OffsetDateTime.now());
          p.setString(4, "serial-" + d[0]);
          p.setObject(5, OffsetDateTime.now().plusDays(1));
          p.executeUpdate();
        }
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      FileTrees.deleteTree(dir);
    }
  }

  static Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content + "\n");
  }

  static Path login(String user, Path passwordFile) {
    Path config = dir.resolve("config-" + user);
    CliRun r = cli(config, "login", "--server", url, "--user", user, "--password-file",
        passwordFile.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    return config;
  }

  static Path addUser(String name, String... roles) throws Exception {
    Path pw = write(name + "-password", name + "-recover-test-password");
    List<String> args = new ArrayList<>(List.of("user", "add", name, "--password-file",
        pw.toString()));
    for (String r : roles) {
      args.add("--role");
      args.add(r);
    }
    CliRun add = cli(admin, args.toArray(String[]::new));
    assertThat(add.exit()).as("%s", add).isZero();
    return login(name, pw);
  }

  static CliRun cli(Path config, String... args) {
    return CliRun.as(config, args);
  }

  @Test
  @DisplayName("REC-2 recover --ne-type --to: a campaign over the quarantined devices, kind"
      + " recovery in deploy status and list; a second one for a device in it refused until it"
      + " ends")
  void recover_createsCampaign_kindShown() {
    CliRun r = cli(op, "recover", "--ne-type", "mme", "--to", "core@1.0", "--wave-size", "1",
        "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    JsonNode d = r.json();
    assertThat(d.path("kind").asText()).isEqualTo("recovery");
    assertThat(d.path("targetCount").asInt()).isEqualTo(2);
    assertThat(d.path("waves").size()).isEqualTo(2);
    String id = d.path("id").asText();

    CliRun status = cli(op, "deploy", "status", id);
    assertThat(status.exit()).as("%s", status).isZero();
    assertThat(status.out()).contains("Recovery campaign " + id).contains("kind       recovery");
    CliRun list = cli(op, "deploy", "list");
    assertThat(list.out()).containsPattern(id + " +recovery +core");

    // One open recovery campaign per device (Recoveries.lockTargets): a second one for q-2 is
    // refused while the first is open, and taken once it was cancelled.
    CliRun again = cli(op, "recover", "--ne-type", "mme", "--to", "core@1.0", "--device", "q-2",
        "--json");
    assertThat(again.exit()).as("%s", again).isEqualTo(3);
    assertThat(again.json().path("reasons").path(0).path("code").asText()).isEqualTo("CONFLICT");
    assertThat(again.json().path("reasons").path(0).path("message").asText())
        .contains("q-2").contains(id);
    CliRun cancel = cli(op, "deploy", "cancel", id, "--reason", "one device at a time");
    assertThat(cancel.exit()).as("%s", cancel).isZero();
    CliRun one = cli(op, "recover", "--ne-type", "mme", "--to", "core@1.0", "--device", "q-2",
        "--json");
    assertThat(one.exit()).as("%s", one).isZero();
    assertThat(one.json().path("targetCount").asInt()).isEqualTo(1);
  }

  @Test
  @DisplayName("REC-2 recover with a malformed --to, or a device that is not quarantined: refused")
  void recover_badInput_refused() {
    CliRun r = cli(op, "recover", "--ne-type", "mme", "--to", "core");
    assertThat(r.exit()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains("PACKAGE@VERSION");
    CliRun t = cli(op, "recover", "--ne-type", "mme", "--to", "core@1.0", "--device", "t-1");
    assertThat(t.exit()).as("%s", t).isNotZero();
    assertThat(t.err() + t.out()).contains("t-1");
  }
}
