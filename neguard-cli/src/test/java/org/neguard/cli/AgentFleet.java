package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.neguard.cli.server.ServerLauncher;
import org.neguard.io.FileTrees;
import org.neguard.server.NeguardServer;
import org.neguard.server.ServerConfig;

/**
 * A real server on loopback with the people of a deployment (admin, operator, approver,
 * publisher), a vendor PKI, a TUF root made by the ceremony commands, and NEs whose agents run
 * as real processes ({@code neguard agent --config}). Tests of the agent share it; close it
 * after the class.
 */
final class AgentFleet implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  final NeguardServer server;
  final String url;
  final Path admin;
  final Path op;
  final Path appr;
  final Path pub;
  final Path pki;
  /** The trusted TUF root the ceremony published: each NE's {@code tuf.root}. */
  final Path root;
  private final List<Process> running = new ArrayList<>();

  private AgentFleet(Path dir, NeguardServer server, Path adminPw) throws Exception {
    this.dir = dir;
    this.server = server;
    this.url = server.url().toString().replaceAll("/$", "");
    this.pki = dir.resolve("pki");
    this.admin = login("admin", adminPw);
    this.op = addUser("op", "operator");
    this.appr = addUser("appr", "approver");
    this.pub = addUser("pub", "publisher");
    // The TUF root: one holder's key, 1 of 1, signed and published by the ceremony commands.
    Path pw = Files.writeString(dir.resolve("holder-password"), "the holder's long password\n");
    Path key = dir.resolve("holder/root.key");
    Files.createDirectories(key.getParent());
    this.root = dir.resolve("root.json");
    assertThat(CliRun.of("repo", "key", "new", "--out", key.toString(), "--password-file",
        pw.toString()).exit()).isZero();
    CliRun init = CliRun.as(admin, "repo", "init", "--root-key", key + ".pub.json",
        "--threshold", "1", "--out", root.toString());
    assertThat(init.exit()).as("%s", init).isZero();
    assertThat(CliRun.of("repo", "root", "sign", root.toString(), "--key", key.toString(),
        "--password-file", pw.toString()).exit()).isZero();
    CliRun published = CliRun.as(admin, "repo", "root", "publish", root.toString(), "--json");
    assertThat(published.exit()).as("%s", published).isZero();
  }

  /** Starts a server (orders valid 30 days, scheduler every 200 ms) in a new temp directory. */
  static AgentFleet start(String name) throws Exception {
    return start(name, b -> b);
  }

  /** As {@link #start(String)}, with more server options set by {@code options}. */
  static AgentFleet start(String name,
      java.util.function.UnaryOperator<ServerConfig.Builder> options) throws Exception {
    Path dir = Files.createTempDirectory("neguard-" + name + "-");
    SignedBundles.demoPki(dir.resolve("pki"));
    Path adminPw = Files.writeString(dir.resolve("admin-password"), "agent-test-admin-pw\n");
    ServerConfig.Fleet fleet = new ServerConfig.Fleet(0, List.of(), 1, Duration.ofMillis(200),
        Duration.ofDays(30), Optional.empty());
    NeguardServer server = ServerLauncher.start(options.apply(ServerConfig
        .builder(dir.resolve("data")).port(0).quiet(true).adminPasswordFile(adminPw)
        .fleet(fleet)).build(), List.of(dir.resolve("pki/ca.pem")), List.of());
    try {
      return new AgentFleet(dir, server, adminPw);
    } catch (Exception | AssertionError e) {
      server.close();
      FileTrees.deleteTree(dir);
      throw e;
    }
  }

  @Override
  public void close() throws Exception {
    try {
      for (Process p : running) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      server.close();
    } finally {
      FileTrees.deleteTree(dir);
    }
  }

  /** Builds (scanned, signed) a bundle of one file {@code lib/core.so}, and uploads it. */
  Path publish(String name, String version, int securityVersion, String neType, byte[] lib)
      throws Exception {
    return upload(SignedBundles.build(dir, pki, name, version, securityVersion, neType, lib));
  }

  /** Uploads a bundle as the publisher; the server's ingest must accept it. */
  Path upload(Path bundle) {
    CliRun up = CliRun.as(pub, "pkg", "upload", bundle.toString(), "--json");
    assertThat(up.exit()).as("%s", up).isZero();
    return bundle;
  }

  Path login(String user, Path passwordFile) {
    Path config = dir.resolve("config-" + user);
    CliRun r = CliRun.as(config, "login", "--server", url, "--user", user, "--password-file",
        passwordFile.toString(), "--json");
    assertThat(r.exit()).as("%s", r).isZero();
    return config;
  }

  Path addUser(String name, String... roles) throws Exception {
    Path pw = Files.writeString(dir.resolve(name + "-password"), name + "-agent-test-pw\n");
    List<String> args = new ArrayList<>(List.of("user", "add", name, "--password-file",
        pw.toString()));
    for (String r : roles) {
      args.add("--role");
      args.add(r);
    }
    CliRun add = CliRun.as(admin, args.toArray(String[]::new));
    assertThat(add.exit()).as("%s", add).isZero();
    return login(name, pw);
  }

  /** Creates a deployment of {@code pkg} VERSION to one device, approved by a second user. */
  String deploy(String pkg, String version, String deviceId, String... more) {
    List<String> args = new ArrayList<>(List.of("deploy", "create", "--package", pkg,
        "--version", version, "--device", deviceId, "--json"));
    args.addAll(List.of(more));
    CliRun create = CliRun.as(op, args.toArray(String[]::new));
    assertThat(create.exit()).as("%s", create).isZero();
    String id = create.json().path("id").asText();
    CliRun ok = CliRun.as(appr, "deploy", "approve", id, "--json");
    assertThat(ok.exit()).as("%s", ok).isZero();
    return id;
  }

  /**
   * The deployment's target for {@code deviceId} once final (120 s at most: other builds share
   * the machine, and a JVM starting under their load takes its time).
   */
  JsonNode finalTarget(String deployment, String deviceId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      CliRun s = CliRun.as(op, "deploy", "status", deployment, "--targets", "--json");
      assertThat(s.exit()).as("%s", s).isZero();
      for (JsonNode t : s.json().path("targets")) {
        String state = t.path("state").asText();
        if (t.path("deviceId").asText().equals(deviceId)
            && (state.equals("succeeded") || state.equals("failed")
                || state.equals("refused"))) {
          return t;
        }
      }
      assertThat(System.nanoTime()).as("%s", s).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  JsonNode device(String id) {
    CliRun show = CliRun.as(op, "device", "show", id, "--json");
    assertThat(show.exit()).as("%s", show).isZero();
    return show.json();
  }

  Ne ne(String id) {
    return new Ne(id);
  }

  static void assertNothingInstalled(Ne ne) throws IOException {
    assertThat(ne.install().resolve("current")).doesNotExist();
    if (Files.exists(ne.install().resolve("versions"))) {
      try (var s = Files.list(ne.install().resolve("versions"))) {
        assertThat(s.toList()).as("no slot, no temporary directory left").isEmpty();
      }
    }
    assertThat(ne.state().resolve("installed.json")).doesNotExist();
  }

  /** One NE: its directory, configuration and (when started) its agent process. */
  final class Ne {
    final String id;
    final Path home;
    final Path config;
    final Path log;
    Process process;

    private Ne(String id) {
      this.id = id;
      this.home = dir.resolve(id);
      this.config = home.resolve("agent.properties");
      this.log = home.resolve("agent.log");
    }

    Path state() {
      return home.resolve("state");
    }

    Path install() {
      return home.resolve("install");
    }

    /** Writes the configuration with the fleet's TUF root and the server's repository. */
    Ne configure(String neType) throws Exception {
      return configure(neType, root, null);
    }

    /** Writes the configuration: a fresh enrollment token, NE type, TUF root and repository. */
    Ne configure(String neType, Path tufRoot, String repositoryUrl) throws Exception {
      Files.createDirectories(home);
      Path ca = home.resolve("device-ca.pem");
      CliRun t = CliRun.as(op, "device", "enroll-token", "--device-id", id, "--ca-out",
          ca.toString(), "--force", "--json");
      assertThat(t.exit()).as("%s", t).isZero();
      String props = "server.url=" + t.json().path("deviceUrl").asText() + "\n"
          + "state.dir=state\ninstall.root=install\n"
          + "tuf.root=" + tufRoot + "\n"
          + (repositoryUrl == null ? "" : "repository.url=" + repositoryUrl + "\n")
          + "trust.anchors=" + pki.resolve("ca.pem") + "\n"
          + "ne.type=" + neType + "\ndevice.id=" + id + "\npoll.interval=1s\nbackoff.max=4s\n"
          + "enroll.token=" + t.json().path("token").asText() + "\n"
          + "enroll.ca=device-ca.pem\n";
      Files.writeString(config, props);
      return this;
    }

    /** Sets (or replaces) one property of the configuration. */
    Ne set(String key, String value) throws IOException {
      String props = Files.readString(config);
      String line = key + "=" + value;
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^"
          + java.util.regex.Pattern.quote(key) + "=.*$").matcher(props);
      props = m.find() ? m.replaceAll(java.util.regex.Matcher.quoteReplacement(line))
          : props + line + "\n";
      Files.writeString(config, props);
      return this;
    }

    Ne start() throws IOException {
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
          "java").toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
          "org.neguard.cli.Main", "agent", "--config", config.toString());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      process = pb.start();
      running.add(process);
      return this;
    }

    /**
     * Starts the agent as the launcher does on an NE: its own main class ({@code
     * org.neguard.agent.Agent}), not the CLI's, with {@code jvmOptions} besides the heap limit
     * (AgentFootprintTest's class-loading log).
     */
    Ne startAgentMain(String... jvmOptions) throws IOException {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"),
          "bin", "java").toString(), "-Xmx64m"));
      command.addAll(List.of(jvmOptions));
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          "org.neguard.agent.Agent", config.toString()));
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      process = pb.start();
      running.add(process);
      return this;
    }

    /** SIGTERM, and the agent's own "stopped" line. */
    void stop() throws Exception {
      process.destroy();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
      running.remove(process);
    }

    /** SIGKILL: no shutdown hook, no last word. */
    void kill() throws Exception {
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      running.remove(process);
    }

    List<JsonNode> events() throws IOException {
      List<JsonNode> out = new ArrayList<>();
      if (!Files.exists(log)) {
        return out;
      }
      String text = Files.readString(log);
      // Only whole lines: the agent may be writing the last one (a long event goes out in
      // pieces), or a kill -9 may have cut it.
      for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
        if (line.startsWith("{")) {
          out.add(JSON.readTree(line));
        }
      }
      return out;
    }

    /** The events' names, in order. */
    List<String> eventNames() throws IOException {
      return events().stream().map(e -> e.path("event").asText()).toList();
    }

    /**
     * Waits (90 s at most) until this agent has sent the outcome of its order of
     * {@code deployment} (a {@code reported} or {@code report_refused} event of the order the
     * {@code order} event of that deployment names). It reads the agent's log, so that a test
     * does not poll the server with CLI runs, each taking CPU from the agent, while the agent
     * works; what the server recorded is still for the test to ask.
     */
    JsonNode awaitReported(String deployment) throws Exception {
      String orderId = await("order", e -> e.path("deploymentId").asText().equals(deployment))
          .path("orderId").asText();
      return awaitMatching("reported or report_refused of " + orderId,
          e -> (e.path("event").asText().equals("reported")
              || e.path("event").asText().equals("report_refused"))
              && e.path("orderId").asText().equals(orderId));
    }

    /** Waits (90 s at most: a loaded machine) for an event line named {@code event}. */
    JsonNode await(String event, Predicate<JsonNode> also) throws Exception {
      return awaitMatching(event, e -> e.path("event").asText().equals(event) && also.test(e));
    }

    /** Waits (90 s at most) for an event line that matches, described by {@code what}. */
    private JsonNode awaitMatching(String what, Predicate<JsonNode> matches) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (true) {
        for (JsonNode e : events()) {
          if (matches.test(e)) {
            return e;
          }
        }
        assertThat(System.nanoTime()).as("%s waits for %s; log:\n%s", id, what,
            Files.exists(log) ? Files.readString(log) : "").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }
}
