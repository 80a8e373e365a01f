package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.io.FileTrees;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;

/**
 * The device, deploy and sim commands against a real server on loopback, with real keys, real
 * mutual TLS and a real signed bundle (SRC-1, OBJ-1, REC-2): enrollment tokens, the device list,
 * disabling a device; a deployment whose creator's approval is refused (four-eyes) and a second
 * user's is not; status, watch and cancel; simulated devices carrying out a deployment in waves.
 */
@DisplayName("SRC-1 OBJ-1 REC-2 device, deploy and sim commands")
class DeployCliTest {
  static Path dir;
  static NeguardServer server;
  static String url;
  static Path admin;
  static Path op;
  static Path appr;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("neguard-cli-deploy-test-");
    Path pki = SignedBundles.demoPki(dir.resolve("pki"));
    byte[] lib = new byte[200_000];
    new java.util.Random(7).nextBytes(lib);
    Path bundle = SignedBundles.build(dir, pki, "core", "1.0", 1, "mme", lib);
    Path adminPw = write("admin-password", "deploy-test-admin-password");
    ServerConfig.Fleet fleet = new ServerConfig.Fleet(0, List.of(), 1, Duration.ofMillis(200),
        Duration.ofDays(30), Optional.empty());
    server = ServerLauncher.start(ServerConfig.builder(dir.resolve("data")).port(0).quiet(true)
        .adminPasswordFile(adminPw).fleet(fleet).build(), List.of(pki.resolve("ca.pem")),
        List.of());
    url = server.url().toString();
    admin = login("admin", adminPw);
    // The operator may approve too: only the four-eyes rule stops them approving their own.
    op = addUser("op", "operator", "approver");
    appr = addUser("appr", "approver");
    Path pub = addUser("pub", "publisher");
    CliRun up = cli(pub, "pkg", "upload", bundle.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
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
    Path pw = write(name + "-password", name + "-deploy-test-password");
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

  /** Runs {@code sim agents} as the operator in the background. */
  static CompletableFuture<CliRun> simAgents(String... args) {
    List<String> all = new ArrayList<>(List.of("sim", "agents", "--server", url));
    all.addAll(List.of(args));
    return CompletableFuture.supplyAsync(() -> cli(op, all.toArray(String[]::new)));
  }

  /** The devices with {@code label}, once {@code until} holds for them (within a minute). */
  static JsonNode devicesWhen(String label, Predicate<JsonNode> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (true) {
      CliRun list = cli(op, "device", "list", "--label", label, "--json");
      assertThat(list.exit()).as("%s", list).isZero();
      JsonNode devices = list.json().path("devices");
      if (until.test(devices)) {
        return devices;
      }
      assertThat(System.nanoTime()).as("devices labelled %s: %s", label, devices)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** {@code n} enrolled devices labelled {@code label}, which then stop polling. */
  static void enrolledDevices(String label, int n) throws Exception {
    CliRun sim = simAgents("--count", String.valueOf(n), "--label", label, "--id-prefix",
        label + "-", "--duration", "500ms", "--json").get(2, TimeUnit.MINUTES);
    assertThat(sim.exit()).as("%s", sim).isZero();
    assertThat(sim.json().path("enrolled").asInt()).isEqualTo(n);
  }

  static String createDeployment(String label, String... more) {
    List<String> args = new ArrayList<>(List.of("deploy", "create", "--package", "core",
        "--version", "1.0", "--label", label, "--json"));
    args.addAll(List.of(more));
    CliRun create = cli(op, args.toArray(String[]::new));
    assertThat(create.exit()).as("%s", create).isZero();
    assertThat(create.json().path("state").asText()).isEqualTo("pending_approval");
    return create.json().path("id").asText();
  }

  @Test
  void enrollToken_shownOnceWithDeviceUrlAndCa_caOutRefusesAnExistingFile() throws Exception {
    Path ca = dir.resolve("device-ca.pem");
    CliRun t = cli(op, "device", "enroll-token", "--ne-type", "mme", "--label", "lab",
        "--ttl", "30m", "--ca-out", ca.toString());
    assertThat(t.exit()).as("%s", t).isZero();
    assertThat(t.out()).contains("shown once").contains("Device URL:").contains("https://")
        .contains("Device CA SHA-256:");
    assertThat(Files.readString(ca)).startsWith("-----BEGIN CERTIFICATE-----");

    CliRun again = cli(op, "device", "enroll-token", "--ca-out", ca.toString(), "--json");
    assertThat(again.exit()).as("%s", again).isEqualTo(1);
    assertThat(again.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("BAD_INPUT");
    assertThat(again.json().path("reasons").path(0).path("message").asText())
        .contains("--force");

    CliRun json = cli(op, "device", "enroll-token", "--device-id", "ne-7", "--ttl", "2h",
        "--ca-out", ca.toString(), "--force", "--json");
    assertThat(json.exit()).as("%s", json).isZero();
    assertThat(json.json().path("token").asText()).isNotBlank();
    assertThat(json.json().path("deviceId").asText()).isEqualTo("ne-7");
    assertThat(json.json().path("deviceUrl").asText()).startsWith("https://");
    assertThat(json.json().path("caSha256").asText()).matches("[0-9a-f]{64}");

    CliRun notMinutes = cli(op, "device", "enroll-token", "--ttl", "90s");
    assertThat(notMinutes.exit()).as("%s", notMinutes).isEqualTo(2);
    // An approver may not create enrollment tokens (admin, operator only).
    CliRun denied = cli(appr, "device", "enroll-token", "--json");
    assertThat(denied.exit()).as("%s", denied).isEqualTo(3);
    assertThat(denied.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("NOT_AUTHORIZED");
  }

  @Test
  void devices_listShowDisable_disabledDeviceShownSo() throws Exception {
    enrolledDevices("lsd", 3);
    JsonNode devices = devicesWhen("lsd", d -> d.size() == 3);
    assertThat(devices.findValuesAsText("id")).containsExactlyInAnyOrder("lsd-0", "lsd-1",
        "lsd-2");
    CliRun table = cli(op, "device", "list", "--ne-type", "mme");
    assertThat(table.out()).contains("lsd-1").contains("NE TYPE");

    CliRun show = cli(op, "device", "show", "lsd-1");
    assertThat(show.exit()).as("%s", show).isZero();
    assertThat(show.out()).contains("lsd-1").contains("mme").contains("lsd");

    CliRun byOperator = cli(op, "device", "disable", "lsd-1", "--reason", "stolen", "--json");
    assertThat(byOperator.exit()).as("only an admin disables: %s", byOperator).isEqualTo(3);
    CliRun disabled = cli(admin, "device", "disable", "lsd-1", "--reason", "stolen", "--json");
    assertThat(disabled.exit()).as("%s", disabled).isZero();
    assertThat(disabled.json().path("disabledAt").asText()).isNotBlank();
    assertThat(disabled.json().path("disabledBy").asText()).isEqualTo("admin");
    assertThat(cli(op, "device", "show", "lsd-1", "--json").json().path("trustState").asText())
        .isEqualTo("disabled");
    CliRun missing = cli(op, "device", "show", "no-such-device", "--json");
    assertThat(missing.exit()).as("a 404 is BAD_INPUT, an error: %s", missing).isEqualTo(1);
    assertThat(missing.json().path("reasons").path(0).path("message").asText())
        .contains("no-such-device");
  }

  /** SRC-1: four-eyes; the creator's own approval is refused, a second user's is taken. */
  @Test
  @DisplayName("SRC-1 the creator's approval is refused with FOUR_EYES, a second approver's is not")
  void approve_byCreator_isRefusedWithFourEyes() throws Exception {
    enrolledDevices("fe", 2);
    String id = createDeployment("fe", "--waves", "1,100%");

    CliRun own = cli(op, "deploy", "approve", id, "--json");
    assertThat(own.exit()).as("%s", own).isEqualTo(3);
    assertThat(own.json().path("reasons").path(0).path("code").asText()).isEqualTo("FOUR_EYES");
    CliRun ownText = cli(op, "deploy", "approve", id);
    assertThat(ownText.exit()).isEqualTo(3);
    assertThat(ownText.out()).contains("FAIL").contains("FOUR_EYES");
    assertThat(cli(op, "deploy", "status", id, "--json").json().path("state").asText())
        .as("nothing changes on a refusal").isEqualTo("pending_approval");

    CliRun ok = cli(appr, "deploy", "approve", id, "--comment", "change 42", "--json");
    assertThat(ok.exit()).as("%s", ok).isZero();
    assertThat(ok.json().path("state").asText()).isEqualTo("running");
    assertThat(ok.json().path("approvals").path(0).path("approver").asText()).isEqualTo("appr");

    CliRun status = cli(op, "deploy", "status", id);
    assertThat(status.exit()).as("a running deployment: %s", status).isZero();
    assertThat(status.out()).contains("running").contains("wave 1").contains("wave 2")
        .contains("approvals  1 of 1; appr at");
    assertThat(cli(op, "deploy", "list").out()).contains(id).contains("core");

    CliRun paused = cli(op, "deploy", "pause", id, "--reason", "night shift", "--json");
    assertThat(paused.exit()).as("%s", paused).isZero();
    assertThat(paused.json().path("state").asText()).isEqualTo("paused");
    assertThat(cli(op, "deploy", "resume", id, "--json").json().path("state").asText())
        .isEqualTo("running");
    CliRun cancel = cli(op, "deploy", "cancel", id, "--reason", "wrong package", "--json");
    assertThat(cancel.exit()).as("%s", cancel).isZero();
    assertThat(cancel.json().path("state").asText()).isEqualTo("cancelled");

    CliRun ended = cli(op, "deploy", "status", id, "--json");
    assertThat(ended.exit()).as("a cancelled deployment is a refusal: %s", ended).isEqualTo(3);
    assertThat(ended.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("DEPLOYMENT_STATE");
    assertThat(ended.json().path("state").asText()).isEqualTo("cancelled");
    CliRun late = cli(appr, "deploy", "reject", id, "--reason", "too late", "--json");
    assertThat(late.exit()).as("%s", late).isEqualTo(3);
    assertThat(late.json().path("reasons").path(0).path("code").asText())
        .isEqualTo("DEPLOYMENT_STATE");
  }

  @Test
  void reject_needsReason_endsTheDeploymentRejected() throws Exception {
    enrolledDevices("rej", 1);
    String id = createDeployment("rej");
    assertThat(cli(appr, "deploy", "reject", id).exit()).as("--reason is required").isEqualTo(2);
    CliRun reject = cli(appr, "deploy", "reject", id, "--reason", "no change ticket", "--json");
    assertThat(reject.exit()).as("%s", reject).isZero();
    assertThat(reject.json().path("state").asText()).isEqualTo("rejected");
    assertThat(cli(op, "deploy", "status", id).exit()).isEqualTo(3);
  }

  @Test
  void statusWatch_notATerminal_appendsPlainLinesUntilTheEnd() throws Exception {
    enrolledDevices("watch", 2);
    String id = createDeployment("watch");
    assertThat(cli(appr, "deploy", "approve", id).exit()).isZero();
    CompletableFuture<CliRun> watch = CompletableFuture.supplyAsync(
        () -> cli(op, "deploy", "status", id, "--watch", "--interval", "100ms"));
    // Nobody polls, so it runs until cancelled; let the watch see it running first.
    Thread.sleep(500);
    assertThat(watch).isNotDone();
    assertThat(cli(op, "deploy", "cancel", id).exit()).isZero();
    CliRun w = watch.get(1, TimeUnit.MINUTES);
    assertThat(w.exit()).as("%s", w).isEqualTo(3);
    assertThat(w.out()).doesNotContain("\033").contains("deployment " + id + " running")
        .contains("deployment " + id + " cancelled").contains("DEPLOYMENT_STATE");
    // A line only when something changed: no line is printed twice.
    List<String> lines = w.out().lines().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\dZ  .*"))
        .map(l -> l.substring(11)).toList();
    assertThat(lines).hasSizeGreaterThanOrEqualTo(3).doesNotHaveDuplicates();
  }

  /** REC-2 and OBJ-1 end to end: signed orders verified by each device, waves, feedback. */
  @Test
  @DisplayName("REC-2 OBJ-1 twenty simulated devices carry out a two-wave deployment")
  void simAgents_twentyDevicesTwoWaves_deploymentCompletes() throws Exception {
    CompletableFuture<CliRun> sim = simAgents("--count", "20", "--label", "e2e", "--id-prefix",
        "e2e-", "--poll-interval", "200ms", "--until-idle", "--duration", "3m", "--json");
    devicesWhen("e2e", d -> d.size() == 20);
    String id = createDeployment("e2e", "--waves", "10,100%");
    assertThat(cli(appr, "deploy", "approve", id).exit()).isZero();
    CliRun watch = cli(op, "deploy", "status", id, "--watch", "--interval", "200ms");
    assertThat(watch.exit()).as("%s", watch).isZero();
    assertThat(watch.out()).contains("wave 1").contains("wave 2").contains("completed")
        .contains("20 succeeded");

    CliRun run = sim.get(2, TimeUnit.MINUTES);
    assertThat(run.exit()).as("%s", run).isZero();
    JsonNode s = run.json();
    assertThat(s.path("enrolled").asInt()).isEqualTo(20);
    assertThat(s.path("orders").asInt()).isEqualTo(20);
    assertThat(s.path("succeeded").asInt()).isEqualTo(20);
    assertThat(s.path("failed").asInt()).isZero();
    assertThat(s.path("unverifiedOrders").asInt()).isZero();
    assertThat(s.path("pollErrors").asInt()).isZero();
    assertThat(s.path("feedbackErrors").asInt()).isZero();
    assertThat(s.path("internalErrors").asInt()).isZero();
    assertThat(s.path("downloadedBytes").asLong()).isEqualTo(20 * cli(op, "pkg", "list",
        "--json").json().path("packages").path(0).path("sizeBytes").asLong());
    assertThat(s.path("polls").asLong()).isGreaterThan(20);
    assertThat(s.path("notModified").asLong()).isPositive().isLessThan(s.path("polls").asLong());
    assertThat(s.path("pollLatencyMs").path("p99").asDouble())
        .isGreaterThanOrEqualTo(s.path("pollLatencyMs").path("p50").asDouble()).isPositive();

    JsonNode devices = devicesWhen("e2e", d -> d.size() == 20);
    for (JsonNode d : devices) {
      assertThat(d.path("installed").findValuesAsText("version")).as("%s", d).contains("1.0");
    }
  }

  @Test
  @DisplayName("sim agents --no-keep-alive: every poll on a connection of its own, closed after"
      + " it (the control: kept devices close one connection each, at the end)")
  void simAgents_noKeepAlive_eachPollOnAConnectionOfItsOwn() throws Exception {
    int port = server.deviceUrl().getPort();
    Set<String> before = connections(port, true);
    CliRun kept = simAgents("--count", "2", "--id-prefix", "kept-", "--poll-interval",
        "100ms", "--duration", "2s", "--json").get(2, TimeUnit.MINUTES);
    assertThat(kept.exit()).as("%s", kept).isZero();
    Set<String> afterKept = connections(port, false);
    Set<String> beforeClosing = connections(port, true);
    CliRun closing = simAgents("--count", "2", "--id-prefix", "closing-", "--poll-interval",
        "100ms", "--duration", "2s", "--no-keep-alive", "--json").get(2, TimeUnit.MINUTES);
    assertThat(closing.exit()).as("%s", closing).isZero();
    Set<String> afterClosing = connections(port, false);

    long keptPolls = kept.json().path("polls").asLong();
    long polls = closing.json().path("polls").asLong();
    assertThat(keptPolls).isGreaterThan(10);
    assertThat(polls).isGreaterThan(10);
    assertThat(kept.json().path("pollErrors").asInt()).isZero();
    assertThat(closing.json().path("pollErrors").asInt()).isZero();
    afterKept.removeAll(before);
    afterClosing.removeAll(beforeClosing);
    // A kept device's polls share one connection. Half, not all: Linux may give a new loopback
    // connection the ports of one in TIME_WAIT (net.ipv4.tcp_tw_reuse), counted once then.
    assertThat(afterKept.size()).as("closed connections of the kept run, %s polls", keptPolls)
        .isLessThan((int) keptPolls / 4);
    assertThat(afterClosing.size()).as("closed connections of the closing run, %s polls", polls)
        .isGreaterThan((int) polls / 2);
  }

  /**
   * The connections to {@code port} that their client closed lately (TIME_WAIT, kept a minute by
   * the side that closed first), by their two addresses; with {@code everyState}, every
   * connection to it, open or closed (a snapshot before a run: a connection open then, which
   * closes during the run, is not the run's). Connections the server closed (its keep-alive
   * timeout, as other tests' idle ones reach it) are not among them.
   */
  static Set<String> connections(int port, boolean everyState) throws Exception {
    Set<String> out = new HashSet<>();
    String hex = String.format(":%04X", port);
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      if (!Files.exists(Path.of(table))) {
        continue; // no IPv6 on this machine
      }
      for (String line : Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && (everyState || f[3].equals("06")) && f[2].endsWith(hex)) {
          out.add(f[1] + " " + f[2]);
        }
      }
    }
    return out;
  }

  @Test
  void simAgents_failRate_failsTheSameShareWithAReasonCode() throws Exception {
    CompletableFuture<CliRun> sim = simAgents("--count", "10", "--label", "flaky",
        "--id-prefix", "flaky-", "--poll-interval", "200ms", "--fail-rate", "0.2",
        "--duration", "10s", "--json");
    devicesWhen("flaky", d -> d.size() == 10);
    // Neither threshold is reached by 8 of 10: the wave runs on, every device ends its order.
    String id = createDeployment("flaky", "--error-threshold", "100");
    assertThat(cli(appr, "deploy", "approve", id).exit()).isZero();
    CliRun run = sim.get(2, TimeUnit.MINUTES);
    assertThat(run.exit()).as("%s", run).isZero();
    // floor(10 x 0.2) devices, the same two every run: flaky-4 and flaky-9.
    assertThat(run.json().path("orders").asInt()).isEqualTo(10);
    assertThat(run.json().path("failed").asInt()).isEqualTo(2);
    assertThat(run.json().path("succeeded").asInt()).isEqualTo(8);
    CliRun targets = cli(op, "deploy", "status", id, "--targets", "--json");
    assertThat(targets.exit()).as("still running: %s", targets).isZero();
    List<String> failed = new ArrayList<>();
    for (JsonNode t : targets.json().path("targets")) {
      if (t.path("state").asText().equals("failed")) {
        failed.add(t.path("deviceId").asText());
        assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("IO_ERROR");
      }
    }
    assertThat(failed).containsExactlyInAnyOrder("flaky-4", "flaky-9");
    assertThat(cli(op, "deploy", "status", id, "--targets").out())
        .contains("flaky-9").contains("simulated install failure");
    assertThat(cli(op, "deploy", "cancel", id).exit()).isZero();
  }
}
