package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.io.FileTrees;
import org.neguard.measure.Sha256;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;
import org.neguard.tuf.Expiries;
import org.neguard.tuf.KeyType;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.OnlineKeys;
import org.neguard.tuf.Published;
import org.neguard.tuf.RepositoryLayout;
import org.neguard.tuf.RepositoryWriter;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TargetFile;
import org.neguard.tuf.Versions;

/**
 * The NE agent as a real process ({@code neguard agent --config}, the CLI's main class on this
 * test's class path) against a real server on loopback: real enrollment and mutual TLS, a real
 * TUF root published by the ceremony commands, real signed and scanned bundles, deployments
 * created and approved by two users. Each test is one step on the same server. The agents run
 * without the port and package inventory ({@code inventory.interval=0}): not what these tests
 * prove (AgentDriftTest's), and its scans take CPU from the steps under test.
 */
@DisplayName("INT-3 INT-1 SRC-2 OBJ-1 the NE agent process: verify, install, upgrade, refuse")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentProcessTest {
  static final ObjectMapper JSON = AgentFleet.JSON;
  static AgentFleet fleet;
  static Path dir;
  static Path root;
  static Path bundle2;
  static byte[] lib1;
  static byte[] lib2;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-process-test");
    dir = fleet.dir;
    root = fleet.root;
    lib1 = new byte[50_000];
    new java.util.Random(1).nextBytes(lib1);
    lib2 = new byte[60_000];
    new java.util.Random(2).nextBytes(lib2);
    fleet.publish("core", "1.0", 1, "mme", lib1);
    bundle2 = fleet.publish("core", "2.0", 2, "mme", lib2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  static AgentFleet.Ne ne(String id) {
    return fleet.ne(id);
  }

  static String deploy(String version, String deviceId) {
    return fleet.deploy("core", version, deviceId);
  }

  /**
   * The server's target of {@code ne} in {@code deployment} once final, asked once the agent
   * logged that it sent its outcome (the test's polling of the server would slow the agent).
   */
  static JsonNode finalTarget(String deployment, AgentFleet.Ne ne) throws Exception {
    ne.awaitReported(deployment);
    return fleet.finalTarget(deployment, ne.id);
  }

  static JsonNode device(String id) {
    return fleet.device(id);
  }

  static void assertNothingInstalled(AgentFleet.Ne ne) throws IOException {
    AgentFleet.assertNothingInstalled(ne);
  }

  static AgentFleet.Ne a;

  @Test
  @Order(1)
  @DisplayName("INT-3 INT-1 OBJ-1 first start enrolls (key 0600); an approved deployment is"
      + " verified and installed into its slot, current points to it, the server shows the"
      + " target succeeded and the device's package; SIGTERM stops it; a restart reuses the"
      + " identity")
  void approvedDeployment_installed() throws Exception {
    a = ne("ne-a");
    a.configure("mme", root, null)
        .set("inventory.interval", "0").start();
    a.await("enrolled", e -> true);
    assertThat(org.neguard.agent.client.DeviceIdentity.fileKeys(a.state().resolve("identity")))
        .hasSize(1);
    assertThat(Files.getPosixFilePermissions(org.neguard.agent.client.DeviceIdentity
        .fileKeys(a.state().resolve("identity")).get(0)))
        .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    String dep = deploy("1.0", "ne-a");
    JsonNode t = finalTarget(dep, a);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    Path slot = a.install().resolve("versions/core@1.0");
    assertThat(Files.readAllBytes(slot.resolve("lib/core.so"))).isEqualTo(lib1);
    assertThat(Files.readSymbolicLink(a.install().resolve("current")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(a.install().resolve("previous")).doesNotExist();
    JsonNode installed = JSON.readTree(a.state().resolve("installed.json").toFile());
    assertThat(installed.path("version").asText()).isEqualTo("1.0");
    assertThat(installed.path("securityVersion").asLong()).isEqualTo(1);
    assertThat(device("ne-a").path("installed").toString()).contains("\"core\"")
        .contains("\"1.0\"");
    // Every step was logged, in order, before the switch.
    List<String> events = a.events().stream().map(e -> e.path("event").asText()).toList();
    assertThat(events).containsSubsequence("order", "order_verified", "tuf_verified",
        "downloaded", "verified_extracted", "activated", "installed", "reported");
    assertThat(a.await("installed", e -> true).path("healthChecked").asBoolean(true))
        .as("no health.check configured: the log says success was not health-checked")
        .isFalse();

    a.stop();
    assertThat(a.events().get(a.events().size() - 1).path("event").asText())
        .isEqualTo("stopped");
    a.start();
    a.await("identity_loaded", e -> e.path("deviceId").asText().equals("ne-a"));
  }

  @Test
  @Order(2)
  @DisplayName("INT-3 a second deployment of a higher version is verified again and upgrades:"
      + " current is the new slot, previous the old one (last-known-good)")
  void higherVersion_upgrades() throws Exception {
    String dep = deploy("2.0", "ne-a");
    JsonNode t = finalTarget(dep, a);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(Files.readAllBytes(a.install().resolve("current/lib/core.so"))).isEqualTo(lib2);
    assertThat(Files.readSymbolicLink(a.install().resolve("current")).toString())
        .isEqualTo("versions/core@2.0");
    assertThat(Files.readSymbolicLink(a.install().resolve("previous")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(Files.readAllBytes(a.install().resolve("previous/lib/core.so"))).isEqualTo(lib1);
    assertThat(device("ne-a").path("installed").toString()).contains("\"2.0\"");
    assertThat(a.events().stream().filter(e -> e.path("event").asText()
        .equals("tuf_verified")).count()).as("verified at install and at upgrade").isEqualTo(2);
    a.stop();
  }

  @Test
  @Order(3)
  @DisplayName("INT-3 OBJ-1 SRC-2 an order whose bundle is not the TUF target (the signed"
      + " repository names other bytes for core@1.0) is refused REPO_MISMATCH: nothing"
      + " downloaded or installed, failure reported and kept")
  void orderDigestNotTheTufTarget_refused() throws Exception {
    // A repository this NE trusts (its own root) whose target core-1.0.ngp is core 2.0's bytes.
    Instant exp = Instant.now().plus(Duration.ofDays(30));
    SigningKey rootKey = SigningKey.generate(KeyType.ED25519);
    OnlineKeys online = new OnlineKeys(SigningKey.generate(KeyType.ED25519),
        SigningKey.generate(KeyType.ED25519), SigningKey.generate(KeyType.ED25519));
    RootMetadata rm = RootBuilder.create(exp)
        .role(Role.ROOT, List.of(rootKey.key()), 1)
        .role(Role.TARGETS, List.of(online.targets().key()), 1)
        .role(Role.SNAPSHOT, List.of(online.snapshot().key()), 1)
        .role(Role.TIMESTAMP, List.of(online.timestamp().key()), 1).build();
    Metadata rootMd = rm.toMetadata().sign(rootKey);
    TargetFile other = TargetFile.of("core-1.0.ngp", Files.size(bundle2), Sha256.hex(bundle2),
        null);
    Published p = RepositoryWriter.publish(rm, online, List.of(other), Versions.NONE,
        Expiries.defaults(Instant.now()));
    Path repo = dir.resolve("mirror");
    RepositoryLayout.write(repo, List.of(rootMd), p, Map.of());
    Path trusted = Files.write(dir.resolve("mirror-root.json"), rootMd.toBytes());

    AgentFleet.Ne t = ne("ne-t").configure("mme", trusted, repo.toUri().toString())
        .set("inventory.interval", "0").start();
    t.await("enrolled", e -> true);
    JsonNode target = finalTarget(deploy("1.0", "ne-t"), t);
    assertThat(target.path("state").asText()).as("%s", target).isEqualTo("failed");
    assertThat(target.path("reasons").path(0).path("code").asText()).isEqualTo("REPO_MISMATCH");
    assertNothingInstalled(t);
    assertThat(t.events().stream().map(e -> e.path("event").asText())).doesNotContain(
        "downloaded");
    assertThat(Files.readString(t.state().resolve("last-result.json")))
        .contains("REPO_MISMATCH").contains("failed");
    t.stop();
  }

  @Test
  @Order(4)
  @DisplayName("INT-3 a package for another NE type is refused NE_TYPE_MISMATCH on the NE"
      + " (the server believes the NE is an mme): nothing installed, failure reported")
  void otherNeType_refused() throws Exception {
    AgentFleet.Ne h = ne("ne-h").configure("mme", root, null)
        .set("inventory.interval", "0").start();
    h.await("enrolled", e -> true);
    h.stop();
    h.set("ne.type", "henb");
    h.start();
    h.await("identity_loaded", e -> true);
    JsonNode target = finalTarget(deploy("1.0", "ne-h"), h);
    assertThat(target.path("state").asText()).as("%s", target).isEqualTo("failed");
    assertThat(target.path("reasons").path(0).path("code").asText())
        .isEqualTo("NE_TYPE_MISMATCH");
    assertNothingInstalled(h);
    // Refused on the signed TUF target's NE type, before any byte was downloaded (the
    // manifest's, checked after the vendor signature, is ManifestJudgementTest's).
    assertThat(h.events().stream().map(e -> e.path("event").asText())).doesNotContain(
        "downloaded");
    assertThat(Files.readString(h.state().resolve("last-result.json")))
        .contains("NE_TYPE_MISMATCH");
    h.stop();
  }

  @Test
  @Order(5)
  @DisplayName("INT-3 a downgrade without a rollback order is refused ROLLBACK_REFUSED on the"
      + " NE (the NE runs security version 5, the server's record lost it): nothing"
      + " installed, failure reported")
  void downgradeWithoutRollback_refused() throws Exception {
    AgentFleet.Ne d = ne("ne-d").configure("mme", root, null)
        .set("inventory.interval", "0").start();
    d.await("enrolled", e -> true);
    d.stop();
    Files.writeString(d.state().resolve("installed.json"),
        "{\"name\":\"core\",\"version\":\"9.0\",\"securityVersion\":5}");
    d.start();
    d.await("identity_loaded", e -> true);
    JsonNode target = finalTarget(deploy("2.0", "ne-d"), d);
    assertThat(target.path("state").asText()).as("%s", target).isEqualTo("failed");
    assertThat(target.path("reasons").path(0).path("code").asText())
        .isEqualTo("ROLLBACK_REFUSED");
    assertThat(d.install().resolve("current")).doesNotExist();
    assertThat(d.install().resolve("versions/core@2.0")).doesNotExist();
    assertThat(Files.readString(d.state().resolve("installed.json"))).contains("9.0");
    d.stop();
  }

  @Test
  @Order(6)
  @DisplayName("INT-3 a device that lost its identity and has no token exits 3 with a clear"
      + " message")
  void lostIdentity_needsANewToken() throws Exception {
    AgentFleet.Ne l = ne("ne-l").configure("mme", root, null)
        .set("inventory.interval", "0");
    Files.writeString(l.config, Files.readString(l.config).replaceAll("enroll.token=.*\n", ""));
    l.start();
    assertThat(l.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(l.process.exitValue()).isEqualTo(3);
    assertThat(Files.readString(l.log)).contains("identity_missing").contains("new enrollment"
        + " token");
  }

  @Test
  @Order(7)
  @DisplayName("INT-3 the server unreachable: the agent backs off (1 s doubling to the 4 s cap,"
      + " never a busy loop) and stops on SIGTERM meanwhile")
  void serverUnreachable_backsOffAndStops() throws Exception {
    AgentFleet.Ne u = ne("ne-u").configure("mme", root, null)
        .set("inventory.interval", "0");
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Files.writeString(u.config, Files.readString(u.config).replaceAll("server.url=.*",
        "server.url=https://127.0.0.1:" + closed));
    u.start();
    // The window starts at the first attempt, not at the JVM's start (slow on a loaded machine).
    u.await("enroll_error", e -> true);
    Thread.sleep(9_000);
    List<JsonNode> errors = u.events().stream()
        .filter(e -> e.path("event").asText().equals("enroll_error")).toList();
    // 9 s after the first: waits of 0.5-1, 1-2, 2-4, 2-4 s... at most 6 attempts, at least 2.
    assertThat(errors).hasSizeBetween(2, 6);
    assertThat(errors.get(errors.size() - 1).path("retryInMs").asLong())
        .isBetween(1_000L, 4_000L);
    assertThat(errors.stream().mapToLong(e -> e.path("retryInMs").asLong()).max().orElse(0))
        .isLessThanOrEqualTo(4_000L);
    u.stop();
    assertThat(u.events().get(u.events().size() - 1).path("event").asText())
        .isEqualTo("stopped");
    // Not enrolled; the key it asked with stays pending for the next start's attempts.
    assertThat(u.state().resolve("identity").resolve("device.crt")).doesNotExist();
    assertThat(u.state().resolve("identity").resolve("renewal.pending")).exists();
  }

  /**
   * An NE whose service restart records which slot it started, and whose health check passes
   * only when {@code current/lib/core.so} is the known-good build (core 1.0's library): core 2.0
   * fails it, by exit 1 or, with {@code hang}, by hanging past {@code health.timeout}.
   */
  static AgentFleet.Ne healthChecked(String id, boolean hang) throws Exception {
    AgentFleet.Ne ne = ne(id).configure("mme", root, null)
        .set("inventory.interval", "0");
    Path good = Files.write(ne.home.resolve("good.so"), lib1);
    Path restarts = ne.home.resolve("restarts.log");
    Path restart = ne.home.resolve("restart.sh");
    Files.writeString(restart, "#!/bin/sh\nreadlink \"$NEGUARD_INSTALL_ROOT/current\" >> "
        + restarts + "\necho restarted $NEGUARD_VERSION\n");
    Path check = ne.home.resolve("health.sh");
    Files.writeString(check, "#!/bin/sh\nif cmp -s \"$NEGUARD_INSTALL_ROOT/current/lib/core.so\" "
        + good + "; then echo healthy; exit 0; fi\n"
        + (hang ? "echo hanging; sleep 60\n" : "echo \"core.so of $NEGUARD_VERSION is not the"
            + " known-good build\"; exit 1\n"));
    restart.toFile().setExecutable(true);
    check.toFile().setExecutable(true);
    Files.writeString(ne.config, Files.readString(ne.config) + "service.restart=" + restart
        + "\nhealth.check=" + check + "\nhealth.timeout=2s\n");
    return ne;
  }

  /** Installs core 1.0 (health check passes), then core 2.0, whose check fails: rolled back. */
  static JsonNode upgradeFailsHealthCheck(AgentFleet.Ne ne) throws Exception {
    ne.start();
    ne.await("enrolled", e -> true);
    JsonNode t1 = finalTarget(deploy("1.0", ne.id), ne);
    assertThat(t1.path("state").asText()).as("%s", t1).isEqualTo("succeeded");
    assertThat(ne.await("installed", e -> true).path("healthChecked").asBoolean()).isTrue();
    JsonNode t2 = finalTarget(deploy("2.0", ne.id), ne);
    assertThat(t2.path("state").asText()).as("%s", t2).isEqualTo("failed");
    assertThat(t2.path("reasons").path(0).path("code").asText())
        .isEqualTo("HEALTH_CHECK_FAILED");
    assertThat(t2.path("reasons").path(0).path("message").asText())
        .contains("rolled back to core 1.0");
    // current back on last-known-good, restarted; installed.json never said 2.0.
    assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(Files.readAllBytes(ne.install().resolve("current/lib/core.so"))).isEqualTo(lib1);
    assertThat(Files.readAllLines(ne.home.resolve("restarts.log"))).containsExactly(
        "versions/core@1.0", "versions/core@2.0", "versions/core@1.0");
    JsonNode installed = JSON.readTree(ne.state().resolve("installed.json").toFile());
    assertThat(installed.path("version").asText()).isEqualTo("1.0");
    assertThat(Files.readString(ne.state().resolve("last-result.json")))
        .contains("HEALTH_CHECK_FAILED").contains("failed").contains("rolled back to core 1.0");
    List<String> events = ne.events().stream().map(e -> e.path("event").asText()).toList();
    assertThat(events).containsSubsequence("activated", "service_restarted", "health_check",
        "installed", "reported", "activated", "service_restarted", "health_check",
        "rolled_back", "service_restarted", "refused", "reported");
    return t2;
  }

  @Test
  @Order(8)
  @DisplayName("INT-3 REC-1 success only after the health check: core 1.0 is restarted and"
      + " passes, core 2.0 fails it (exit 1) and is rolled back by the agent itself: current"
      + " back on 1.0, 1.0 restarted, installed.json still 1.0, the target failed"
      + " HEALTH_CHECK_FAILED with the check's output")
  void failingHealthCheck_rolledBack() throws Exception {
    AgentFleet.Ne g = healthChecked("ne-g", false);
    JsonNode t = upgradeFailsHealthCheck(g);
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("exit 1").contains("core.so of 2.0 is not the known-good build");
    g.stop();
  }

  @Test
  @Order(9)
  @DisplayName("INT-3 REC-1 a health check that hangs is killed at health.timeout (2 s) and the"
      + " new version rolled back")
  void hangingHealthCheck_killedAndRolledBack() throws Exception {
    AgentFleet.Ne k = healthChecked("ne-k", true);
    long t0 = System.nanoTime();
    JsonNode t = upgradeFailsHealthCheck(k);
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("killed at the timeout").contains("hanging");
    assertThat(System.nanoTime() - t0).as("not the 60 s sleep")
        .isLessThan(TimeUnit.SECONDS.toNanos(50));
    k.stop();
  }

  @Test
  @Order(10)
  @DisplayName("INT-3 REC-1 an order that expires while the new version's health check runs:"
      + " the agent does not keep a version the server refuses to record; it rolls back to"
      + " last-known-good and says ORDER_VALIDITY")
  void orderExpiresDuringHealthCheck_rolledBack() throws Exception {
    AgentFleet.Ne x = ne("ne-x").configure("mme", root, null)
        .set("inventory.interval", "0");
    Path good = Files.write(x.home.resolve("good.so"), lib1);
    Path check = x.home.resolve("health.sh");
    // Core 1.0 healthy at once; core 2.0 healthy too, but only after 15 s: past its order.
    Files.writeString(check, "#!/bin/sh\nif cmp -s \"$NEGUARD_INSTALL_ROOT/current/lib/core.so\" "
        + good + "; then echo healthy; exit 0; fi\nsleep 15; echo healthy at last; exit 0\n");
    check.toFile().setExecutable(true);
    Files.writeString(x.config, Files.readString(x.config) + "health.check=" + check
        + "\nhealth.timeout=30s\nhealth.window=60s\n");
    x.start();
    x.await("enrolled", e -> true);
    JsonNode t1 = finalTarget(deploy("1.0", x.id), x);
    assertThat(t1.path("state").asText()).as("%s", t1).isEqualTo("succeeded");

    String d2 = fleet.deploy("core", "2.0", x.id, "--expires", "10s");
    JsonNode rolledBack = x.await("rolled_back", e -> true);
    assertThat(rolledBack.path("output").asText()).contains("the order expired");
    assertThat(Files.readSymbolicLink(x.install().resolve("current")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(JSON.readTree(x.state().resolve("installed.json").toFile()).path("version")
        .asText()).isEqualTo("1.0");
    // The server never counts it installed: the deployment expired, its target cancelled.
    CliRun status = CliRun.as(fleet.op, "deploy", "status", d2, "--targets", "--json");
    assertThat(status.json().path("targets").path(0).path("state").asText()).as("%s", status)
        .isIn("cancelled", "failed");
    // The agent's own record of the outcome (kept before it is sent; the server, past the
    // order's validity, refuses it and has failed the target itself).
    x.await("refused", e -> e.path("codes").asText().equals("ORDER_VALIDITY"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.readString(x.state().resolve("last-result.json")).contains("ORDER_VALIDITY")) {
      assertThat(System.nanoTime()).as("last-result.json").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(Files.readString(x.state().resolve("last-result.json"))).contains("failed");
    x.stop();
  }

  @Test
  @Order(11)
  @DisplayName("INT-3 REC-1 one agent per state directory: a second agent on the same"
      + " configuration exits at once (2, already_running) and the first runs on untouched")
  void secondAgentOnTheSameStateDirectory_refused() throws Exception {
    AgentFleet.Ne y = ne("ne-y").configure("mme", root, null)
        .set("inventory.interval", "0");
    y.start();
    y.await("enrolled", e -> true);
    Process second = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        "org.neguard.cli.Main", "agent", "--config", y.config.toString())
        .redirectErrorStream(true).start();
    String out = new String(second.getInputStream().readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("already_running").contains("one agent per state directory");
    assertThat(y.process.isAlive()).as("the first agent runs on").isTrue();
    assertThat(y.eventNames()).doesNotContain("stopped", "fatal", "rolled_back");
    y.stop();
  }
}
