package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.neguard.agent.client.DeviceClient;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;

/**
 * A real server on loopback for the hardening checks that fetch an NE's packages ({@code
 * harden check --device}): the demo PKI's CA trusted for devices, an operator logged in (its
 * CLI configuration in {@link #operator}), NEs enrolled through the real device client.
 * Closing it stops the server and deletes its directory.
 */
final class OperatorServer implements AutoCloseable {
  final Path dir;
  final NeguardServer server;
  final String url;
  /** The operator's CLI configuration directory (its saved token). */
  final Path operator;

  private OperatorServer(Path dir, NeguardServer server, Path operator) {
    this.dir = dir;
    this.server = server;
    this.url = server.url().toString();
    this.operator = operator;
  }

  /** Starts a server in a new temporary directory named after {@code prefix}. */
  static OperatorServer start(String prefix) throws Exception {
    Path dir = Files.createTempDirectory(prefix);
    Path pki = SignedBundles.demoPki(dir.resolve("pki"));
    Path adminPw = Files.writeString(dir.resolve("admin-password"), prefix + "admin-pw\n");
    NeguardServer server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data"))
        .port(0).quiet(true).adminPasswordFile(adminPw).build(),
        List.of(pki.resolve("ca.pem")), List.of());
    String url = server.url().toString();
    Path admin = dir.resolve("config-admin");
    CliRun login = CliRun.as(admin, "login", "--server", url, "--user", "admin",
        "--password-file", adminPw.toString());
    assertThat(login.exit()).as("%s", login).isZero();
    Path opPw = Files.writeString(dir.resolve("op-password"), prefix + "operator-pw\n");
    CliRun add = CliRun.as(admin, "user", "add", "op", "--role", "operator", "--password-file",
        opPw.toString());
    assertThat(add.exit()).as("%s", add).isZero();
    Path operator = dir.resolve("config-op");
    CliRun opLogin = CliRun.as(operator, "login", "--server", url, "--user", "op",
        "--password-file", opPw.toString());
    assertThat(opLogin.exit()).as("%s", opLogin).isZero();
    return new OperatorServer(dir, server, operator);
  }

  /** Enrolls {@code id} (NE type mme) with a token the operator made. */
  DeviceClient enroll(String id) throws Exception {
    Path ca = dir.resolve(id + "-ca.pem");
    CliRun t = CliRun.as(operator, "device", "enroll-token", "--device-id", id, "--ca-out",
        ca.toString(), "--force", "--json");
    assertThat(t.exit()).as("%s", t).isZero();
    DeviceClient c = DeviceClient.enrolling(URI.create(t.json().path("deviceUrl").asText()),
        DeviceClient.Trust.ca(Files.readString(ca)));
    c.enroll(t.json().path("token").asText(), id, "mme", List.of(), List.of());
    return c;
  }

  /**
   * {@code harden check --json} of {@code inventory} against {@code policy} with the database
   * {@code db}, and {@code args}; as the operator only where the check talks to the server.
   */
  CliRun hardenCheck(Path policy, Path inventory, Path db, String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("harden", "check", "--policy",
        policy.toString(), "--inventory", inventory.toString(), "--vulndb", db.toString(),
        "--json"));
    all.addAll(List.of(args));
    return all.contains("--device") ? CliRun.as(operator, all.toArray(String[]::new))
        : CliRun.of(all.toArray(String[]::new));
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      org.neguard.io.FileTrees.deleteTree(dir);
    }
  }
}
