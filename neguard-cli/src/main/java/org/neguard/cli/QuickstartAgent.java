package org.neguard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.neguard.agent.Agent;
import picocli.CommandLine;

/**
 * The NE-agent part of the quickstart (INT-3, REC-1; docs/AGENT.md): a real agent, a process of
 * its own ({@code neguard agent --config}, with the JVM options an H(e)NB runs it with), enrolls
 * against the quickstart's server and trusts the TUF root the two holders signed; an approved
 * deployment installs the sample package (verified, in its own slot, {@code current} switched),
 * a second upgrades it, a third, whose configuration lost its S1AP port, fails the health check
 * and the agent rolls it back by itself. Each step shows the commands and the agent's own event
 * lines.
 *
 * <p>Meant to be called by {@code QuickstartServer} while its server runs, after the repository
 * steps (the root must be published) and the deployment steps (the operator and the approver
 * exist and the approver's client is logged in). The agent is stopped (SIGTERM) at the end.
 * Each step is one method; a new step is one more call in {@link #steps}.
 */
final class QuickstartAgent {
  /** The device id of the quickstart's NE. */
  static final String DEVICE = "qs-mme-1";
  /** The server's vulnerability database, under the quickstart's work directory (issue 16). */
  static final String VULNDB = "vulndb";
  /** The demo OSV records (their sources: SOURCES.md beside them). */
  private static final String DEMO_FEED = "/org/neguard/cli/quickstart-osv/";
  private static final List<String> DEMO_RECORDS = List.of("DEBIAN-CVE-2025-21587.json",
      "DEBIAN-CVE-2025-30691.json", "DEBIAN-CVE-2025-30698.json",
      "DEBIAN-CVE-2026-28372.json", "DEBIAN-CVE-2026-32746.json");
  /**
   * What the NE's image runs older than this host: each source package at the changelog entry
   * before the one that fixes the demo feed's records.
   */
  private static final Map<String, String> IMAGE_VERSIONS = Map.of("openjdk-17", "17.0.14+7-1",
      "inetutils", "2:2.4-2+deb12u2");
  /** The agent's JVM options on an NE (docs/AGENT.md "Footprint"), one per line, # comments. */
  static final String JVM_OPTIONS = "agent/jvm.options";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long WAIT_SECONDS = 120;

  /** The server side the agent steps use. */
  record Server(String url, String[] operator, String[] approver, Path publisherPassword,
      Path operatorPassword, Path adminPassword, Path root, Path caCert) {}

  /** The two newer versions of the sample: an upgrade, and one whose health check fails. */
  record Versions(String name, String first, Path upgrade, String upgradeVersion, Path broken,
      String brokenVersion) {}

  private final PrintWriter out;
  private final PrintWriter err;
  private final Server server;
  private final Versions versions;
  private final Path home;
  private final Path log;
  private final Path work;
  private Process agent;
  private int linesShown;

  private QuickstartAgent(PrintWriter out, PrintWriter err, Server server, Versions versions,
      Path work) {
    this.out = out;
    this.err = err;
    this.server = server;
    this.versions = versions;
    this.home = work.resolve("ne-" + DEVICE);
    this.log = home.resolve("agent.log");
    this.work = work;
  }

  /**
   * Runs the agent steps, numbered from {@code firstStep}.
   *
   * @return the number of the step after them
   * @throws IllegalStateException if a step does not end as expected
   */
  static int run(PrintWriter out, PrintWriter err, int firstStep, Path work, Server server,
      Versions versions) throws Exception {
    QuickstartAgent q = new QuickstartAgent(out, err, server, versions, work);
    try {
      return q.steps(firstStep);
    } finally {
      q.stopAgent();
    }
  }

  private int steps(int n) throws Exception {
    start(n++);
    deploy(n++, versions.first(), "The operator deploys " + versions.name() + " "
        + versions.first() + " to the NE and the approver approves: its agent verifies the"
        + " signed order, the TUF target, the vendor's signature, every file's digest and the"
        + " scan reports, installs it into a slot of its own, switches current to it, restarts"
        + " the service and runs the health check, and only then reports success", true);
    deploy(n++, versions.upgradeVersion(), "A second deployment upgrades it to "
        + versions.upgradeVersion() + ": verified again, a new slot, current switched by one"
        + " rename, the old version kept as previous (last-known-good)", true);
    deploy(n++, versions.brokenVersion(), "A third deployment, " + versions.brokenVersion()
        + ", whose mme.conf lost its S1AP port: the health check fails, the agent switches"
        + " current back to " + versions.upgradeVersion() + " by itself, restarts it, and"
        + " reports the target failed with HEALTH_CHECK_FAILED", false);
    integrity(n++);
    drift(n++);
    vulnerabilities(n++);
    return n;
  }

  /**
   * Platform integrity (ATT-1 to ATT-4, OBJ-2, REC-1, REC-2; docs/ATTESTATION.md): the updates
   * above were validated before and after; a file of the running version changed on the NE is
   * found by an attestation, named, the NE quarantined; a recovery campaign, approved, reinstalls
   * a known-good version and its attested completion readmits the NE.
   */
  private void integrity(int n) throws Exception {
    step(n, "Platform integrity: each update above was validated by the server's validation"
        + " entity, before (fresh evidence over a nonce) and after (the agent's evidence of what"
        + " it installed, compared with the TIM expected from the vendor-signed RIM). Now a file"
        + " of the running version is changed on the NE, as an intruder would; an attestation"
        + " names the file and quarantines the NE; a recovery campaign, approved like any"
        + " deployment, reinstalls the known-good " + versions.first() + ", and its attested"
        + " completion readmits the NE");
    String[] op = server.operator();
    require(0, cat(new String[] {"attest", "history", DEVICE, "--limit", "8"}, op));
    Path conf = home.resolve("install/current/etc/mme.conf");
    Files.writeString(conf, "# changed on the NE\n", java.nio.file.StandardOpenOption.APPEND);
    out.println("$ echo '# changed on the NE' >> " + conf);
    out.flush();
    require(3, cat(new String[] {"attest", DEVICE, "--wait"}, op));
    showEvents();
    requireTrust("quarantined");
    String[] recover = cat(new String[] {"recover", "--ne-type", "mme", "--to",
        versions.name() + "@" + versions.first()}, op);
    show(recover);
    String created = captured(0, recover);
    out.print(created);
    String id = recoveryId(created);
    require(0, cat(new String[] {"deploy", "approve", id}, server.approver()));
    Map<String, Object> reported = awaitEvent("reported");
    showEvents();
    if (!"succeeded".equals(String.valueOf(reported.get("status")))) {
      throw new IllegalStateException("the recovery was reported " + reported.get("status")
          + "; the agent's log: " + log);
    }
    awaitTrust("trusted");
    require(0, cat(new String[] {"attest", "status"}, op));
  }

  /** The deployment id in {@code neguard recover}'s output. */
  private static String recoveryId(String created) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "Created recovery campaign (\\S+) ").matcher(created);
    if (!m.find()) {
      throw new IllegalStateException("no deployment id in: " + created);
    }
    return m.group(1);
  }

  /** Fails unless the server has the NE in {@code state} now (shown with attest status). */
  private void requireTrust(String state) throws Exception {
    String[] status = cat(new String[] {"attest", "status"}, server.operator());
    require(0, status);
    String now = trust();
    if (!now.equals(state)) {
      throw new IllegalStateException("the NE is " + now + ", expected " + state);
    }
  }

  /** Waits until the server has the NE in {@code state} (its readmission is judged async). */
  private void awaitTrust(String state) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!trust().equals(state)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the NE did not become " + state + " within "
            + WAIT_SECONDS + " s; its log: " + log);
      }
      Thread.sleep(200);
    }
  }

  private String trust() throws Exception {
    String listed = captured(0, cat(new String[] {"attest", "status", "--json"},
        server.operator()));
    for (Object o : (List<?>) JSON.readValue(listed, Map.class).get("devices")) {
      if (o instanceof Map<?, ?> d && DEVICE.equals(d.get("deviceId"))) {
        return String.valueOf(d.get("trustState"));
      }
    }
    throw new IllegalStateException("no " + DEVICE + " in attest status");
  }

  /**
   * Port drift (HRD-1, HRD-4): the admin uploads the NE type's hardening policy (what this host
   * listens on now), the quickstart opens a new listening port on the host, the agent's next
   * socket inventory shows it, the server opens a finding and lists the NE as out of policy; the
   * port closed, the finding is resolved.
   */
  private void drift(int n) throws Exception {
    step(n, "Port drift: the admin uploads the hardening policy of the NE type mme (here: what"
        + " this host listens on now); then a new port opens on the host, as a backdoor would;"
        + " the agent's next socket inventory (every second here) shows it, the server judges"
        + " it against the policy, opens a finding (an audit row, and a webhook if configured)"
        + " and lists the NE as out of policy; once the port is closed, the finding is resolved");
    String[] cfg = server.operator();
    require(0, cat(new String[] {"login", "--server", server.url(), "--user", "admin",
        "--password-file", server.adminPassword().toString()}, cfg));
    Path policy = home.resolve("mme-policy.yaml");
    Files.writeString(policy, hostPolicy());
    out.println("$ cat " + policy + "   (" + Files.readAllLines(policy).size() + " lines: every"
        + " port this host listens on now, declared)");
    require(0, cat(new String[] {"policy", "upload", "--ne-type", "mme", policy.toString()},
        cfg));
    require(0, cat(new String[] {"login", "--server", server.url(), "--user", "operator1",
        "--password-file", server.operatorPassword().toString()}, cfg));
    Map<String, Object> judged = awaitEvent("inventory_reported",
        e -> !"NO_POLICY".equals(e.get("verdict")));
    showEvents();
    out.println("(the agent's inventory judged: " + judged.get("verdict") + ", policy version "
        + judged.get("policyVersion") + ")");
    int port;
    try (java.net.ServerSocket backdoor = new java.net.ServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      port = backdoor.getLocalPort();
      out.println("$ (a new listener on 127.0.0.1:" + port + ")");
      out.flush();
      awaitEvent("drift", e -> String.valueOf(e.get("ports")).contains("/" + port + " "));
      showEvents();
      require(0, cat(new String[] {"device", "list", "--out-of-policy"}, cfg));
    }
    out.println("$ (the listener on 127.0.0.1:" + port + " closed)");
    out.flush();
    awaitEvent("drift_resolved", e -> String.valueOf(e.get("ports")).contains("/" + port + " "));
    showEvents();
    require(0, cat(new String[] {"device", "drift", DEVICE}, cfg));
  }

  /**
   * What an NE runs (issue 16, HRD-3; docs/VULNERABILITIES.md "What an NE runs"): the agent
   * has been reporting the NE image's installed packages with its socket inventory, each
   * listening socket with the package owning its executable; the server had no vulnerability
   * database, and says so. The demo OSV feed (records written from this host's own Debian
   * changelogs) is imported into the directory the server was started with; the server
   * reopens it by itself, and the NE's findings show next to its ports: reachable ones first.
   */
  private void vulnerabilities(int n) throws Exception {
    step(n, "Vulnerabilities of what the NE runs (HRD-3): the agent reports the NE's installed"
        + " packages (dpkg, only when they change: a digest otherwise) and, for each listening"
        + " socket, the package owning its executable; the server assesses them against its"
        + " vulnerability database (--vulndb); without one imported it says so rather than"
        + " 'no vulnerabilities'. Then a demo OSV feed, written from this host's"
        + " Debian changelogs, is imported; the server reopens the database by itself and the"
        + " NE's findings show next to its ports, those reachable through a port first, and"
        + " the fleet's by advisory");
    String[] cfg = server.operator();
    awaitEvent("packages_reported");
    showEvents();
    String[] vulns = cat(new String[] {"device", "vulns", DEVICE}, cfg);
    require(0, vulns);
    Path feed = home.resolve("debian-12-demo-osv.zip");
    try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(
        Files.newOutputStream(feed))) {
      for (String r : DEMO_RECORDS) {
        try (InputStream in = QuickstartAgent.class.getResourceAsStream(DEMO_FEED + r)) {
          z.putNextEntry(new java.util.zip.ZipEntry(r));
          in.transferTo(z);
          z.closeEntry();
        }
      }
    }
    Path db = work.resolve(VULNDB);
    out.println("(" + feed + ": " + DEMO_RECORDS.size() + " OSV records written from this"
        + " host's changelogs, their sources in the quickstart's SOURCES.md)");
    out.flush();
    require(0, "vulndb", "import", "--db", db.toString(), feed.toString());
    require(0, vulns);
    require(0, cat(new String[] {"vuln", "fleet"}, cfg));
    org.neguard.api.vuln.DeviceVulnerabilities v = JSON.readValue(captured(0,
        cat(vulns, new String[] {"--json"})), org.neguard.api.vuln.DeviceVulnerabilities.class);
    if (!v.state().equals(org.neguard.api.vuln.DeviceVulnerabilities.ASSESSED)
        && !v.state().equals(org.neguard.api.vuln.DeviceVulnerabilities.NOT_ASSESSED)) {
      throw new IllegalStateException("the NE's vulnerabilities are " + v.state() + ": "
          + v.messages());
    }
  }

  /**
   * The NE's image: this host's dpkg database with openjdk-17 and inetutils at the versions
   * before their last security updates ({@link #IMAGE_VERSIONS}), so that the demo feed's
   * advisories apply; the same file lists (info/), the same os-release. A host without dpkg
   * gives an NE without packages, which the server shows as not assessed.
   */
  private static void neImage(Path image) throws IOException {
    Path dpkg = Files.createDirectories(image.resolve("var/lib/dpkg"));
    Files.createDirectories(image.resolve("etc"));
    Path status = Path.of("/var/lib/dpkg/status");
    if (Files.isRegularFile(status)) {
      StringBuilder b = new StringBuilder();
      for (String p : Files.readString(status).split("\n\n")) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
            "(?m)^Source: (\\S+)").matcher(p);
        java.util.regex.Matcher name = java.util.regex.Pattern.compile(
            "(?m)^Package: (\\S+)").matcher(p);
        String source = m.find() ? m.group(1) : name.find() ? name.group(1) : "";
        String old = IMAGE_VERSIONS.get(source);
        if (old != null) {
          p = p.replaceAll("(?m)^Version: .*$", "Version: "
              + java.util.regex.Matcher.quoteReplacement(old))
              .replaceAll("(?m)^Source: (\\S+) \\(.*\\)$", "Source: $1 (" + old + ")");
        }
        b.append(p).append("\n\n");
      }
      Files.writeString(dpkg.resolve("status"), b.toString().strip() + "\n");
    }
    if (Files.isDirectory(Path.of("/var/lib/dpkg/info"))
        && !Files.exists(dpkg.resolve("info"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(dpkg.resolve("info"), Path.of("/var/lib/dpkg/info"));
    }
    if (Files.isRegularFile(Path.of("/etc/os-release"))) {
      Files.copy(Path.of("/etc/os-release"), image.resolve("etc/os-release"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** A policy for NE type mme that declares every port this host listens on now. */
  private static String hostPolicy() throws Exception {
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (org.neguard.harden.ObservedPort p : org.neguard.harden.inventory.LocalInventory.system()
        .take().ports()) {
      if (p.state() == org.neguard.harden.PortState.OPEN) {
        keys.add(p.transport().name().toLowerCase(java.util.Locale.ROOT) + " " + p.port());
      }
    }
    StringBuilder y = new StringBuilder("schema: neguard-hardening-policy/1\nneType: mme\n"
        + "description: the quickstart host's listeners, declared\nallowed:\n");
    for (String k : keys) {
      String[] tp = k.split(" ");
      y.append("  - transport: ").append(tp[0]).append("\n    port: ").append(tp[1])
          .append("\n    service: host-").append(tp[1])
          .append("\n    justification: listening when the quickstart ran\n");
    }
    return y.toString();
  }

  /** The publisher uploads the newer versions; the NE gets a token, its agent starts. */
  private void start(int n) throws Exception {
    step(n, "A real NE agent: the publisher uploads two newer versions of the sample, an"
        + " operator makes a one-time enrollment token for the NE " + DEVICE + ", and its agent"
        + " starts as a process of its own, trusting the TUF root the two holders signed; it"
        + " makes its device key and enrolls");
    String[] cfg = server.operator();
    require(0, cat(new String[] {"login", "--server", server.url(), "--user", "publisher1",
        "--password-file", server.publisherPassword().toString()}, cfg));
    require(0, cat(new String[] {"pkg", "upload", versions.upgrade().toString()}, cfg));
    require(0, cat(new String[] {"pkg", "upload", versions.broken().toString()}, cfg));
    require(0, cat(new String[] {"login", "--server", server.url(), "--user", "operator1",
        "--password-file", server.operatorPassword().toString()}, cfg));
    Files.createDirectories(home);
    Path ca = home.resolve("device-ca.pem");
    String[] token = cat(new String[] {"device", "enroll-token", "--device-id", DEVICE,
        "--ca-out", ca.toString(), "--json"}, cfg);
    show(token);
    Map<String, Object> t = json(captured(0, token)); // not shown: the token is a secret
    String deviceUrl = String.valueOf(t.get("deviceUrl"));
    out.println("(token for " + DEVICE + ", valid once; device URL " + deviceUrl
        + ", device CA written to " + ca + ")");

    writeScript("restart-mme.sh", """
        #!/bin/sh
        # The quickstart's stand-in for 'systemctl restart mme': records which version runs.
        echo "$(date -u +%FT%TZ) mme $NEGUARD_VERSION started from $NEGUARD_SLOT" >>../service.log
        echo "mme $NEGUARD_VERSION restarted"
        """);
    writeScript("check-mme.sh", """
        #!/bin/sh
        # The quickstart's health check: the running version's configuration must declare the
        # S1AP port, or the MME would serve no eNodeB.
        if grep -q '^s1ap.sctp.port' "$NEGUARD_SLOT/etc/mme.conf"; then
          echo "mme $NEGUARD_VERSION: S1AP port configured"
          exit 0
        fi
        echo "mme $NEGUARD_VERSION: no s1ap.sctp.port in etc/mme.conf: the MME serves no eNodeB"
        exit 1
        """);
    Path config = home.resolve("agent.properties");
    String shown = String.join("\n",
        "server.url=" + deviceUrl,
        "state.dir=state",
        "install.root=install",
        "tuf.root=" + server.root(),
        "trust.anchors=" + server.caCert(),
        "ne.type=mme",
        "device.id=" + DEVICE,
        "poll.interval=1s",
        "backoff.max=4s",
        "enroll.ca=device-ca.pem",
        // Run in install.root: the scripts are beside it, in the NE's directory.
        "service.restart=/bin/sh ../restart-mme.sh",
        "health.check=/bin/sh ../check-mme.sh",
        "health.timeout=10s",
        "inventory.interval=1s",
        // What the NE runs (issue 16): the NE image's dpkg database, see neImage().
        "packages.dpkg.admindir=ne-image/var/lib/dpkg",
        "packages.os-release=ne-image/etc/os-release",
        "");
    neImage(home.resolve("ne-image"));
    Files.writeString(config, shown + "enroll.token=" + t.get("token") + "\n");
    out.println("$ cat " + config + "   (and enroll.token=...)");
    out.print(shown);
    List<String> command = agentCommand(config);
    out.println("$ neguard agent --config " + config + " &   (java "
        + String.join(" ", command.subList(1, command.indexOf("-cp"))) + ")");
    out.flush();
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    agent = pb.start();
    awaitEvent("enrolled");
    showEvents();
    Path deviceKey = org.neguard.agent.client.DeviceIdentity
        .fileKeys(home.resolve("state/identity")).get(0);
    out.println("device key " + deviceKey + " mode "
        + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
            deviceKey)));
    require(0, cat(new String[] {"device", "show", DEVICE}, cfg));
  }

  /**
   * One deployment of {@code version} to the NE, approved by the approver; waits for the
   * agent's report, shows its event lines, the slots and the target's state.
   */
  private void deploy(int n, String version, String title, boolean succeeds) throws Exception {
    step(n, title);
    String[] create = cat(new String[] {"deploy", "create", "--package", versions.name(),
        "--version", version, "--device", DEVICE}, server.operator());
    show(create);
    String created = captured(0, create);
    out.print(created);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Created deployment (\\S+) ").matcher(created);
    if (!m.find()) {
      throw new IllegalStateException("no deployment id in: " + created);
    }
    String id = m.group(1);
    require(0, cat(new String[] {"deploy", "approve", id}, server.approver()));
    Map<String, Object> reported = awaitEvent("reported");
    showEvents();
    String status = String.valueOf(reported.get("status"));
    if (!status.equals(succeeds ? "succeeded" : "failed")) {
      throw new IllegalStateException("the agent reported " + status + " for " + versions.name()
          + " " + version + "; its log: " + log);
    }
    Path install = home.resolve("install");
    out.println("in " + install + ":");
    for (String link : List.of("current", "previous")) {
      Path l = install.resolve(link);
      if (Files.isSymbolicLink(l)) {
        out.println(link + " -> " + Files.readSymbolicLink(l));
      }
    }
    out.println("$ cat " + home.resolve("service.log"));
    out.print(Files.readString(home.resolve("service.log")));
    out.flush();
    String expected = org.neguard.agent.Slots.name(versions.name(),
        succeeds ? version : versions.upgradeVersion());
    Path current = Files.readSymbolicLink(install.resolve("current"));
    if (!current.getFileName().toString().equals(expected)) {
      throw new IllegalStateException("current is " + current + ", expected " + expected);
    }
    // The server's word: the target's state and reason, as the agent reported them.
    String[] statusCommand = cat(new String[] {"deploy", "status", id, "--targets"},
        server.operator());
    show(statusCommand);
    CommandLine cl = Main.newCommandLine();
    cl.setOut(out);
    cl.setErr(err);
    cl.execute(statusCommand); // a deployment with a failed target may exit 0 or 3: see below
    Map<String, Object> target = first(json(captured(-1, cat(statusCommand,
        new String[] {"--json"}))).get("targets"));
    String state = String.valueOf(target.get("state"));
    String code = String.valueOf(first(target.get("reasons")).get("code"));
    if (succeeds ? !state.equals("succeeded")
        : !(state.equals("failed") && code.equals("HEALTH_CHECK_FAILED"))) {
      throw new IllegalStateException("the server has the target " + state + " " + code
          + " for " + versions.name() + " " + version + ": " + target);
    }
  }

  /**
   * The agent's command line as the launcher makes it: this JVM's java, the NE's JVM options,
   * and the agent's own jar (whose manifest names its dependencies beside it) when the agent
   * was loaded from one; from a build's class directories (tests), this JVM's class path.
   */
  static List<String> agentCommand(Path config) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions());
    Path agentJar;
    try {
      agentJar = Path.of(Agent.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI());
    } catch (java.net.URISyntaxException | RuntimeException e) {
      agentJar = null;
    }
    if (agentJar != null && Files.isRegularFile(agentJar) && dependenciesBeside(agentJar)) {
      command.addAll(List.of("-cp", agentJar.toString(), Agent.class.getName(),
          config.toString()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          "org.neguard.cli.Main", "agent", "--config", config.toString()));
    }
    return command;
  }

  /**
   * Whether every jar the agent jar's manifest names ({@code Class-Path}) is there: beside it in
   * the CLI's {@code lib/}, yes; in a Maven repository or a module's {@code target/}, no.
   */
  private static boolean dependenciesBeside(Path agentJar) {
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(agentJar.toFile())) {
      java.util.jar.Manifest m = jar.getManifest();
      String classPath = m == null ? null : m.getMainAttributes().getValue("Class-Path");
      if (classPath == null || classPath.isBlank()) {
        return false;
      }
      for (String entry : classPath.trim().split("\\s+")) {
        if (!Files.isRegularFile(agentJar.resolveSibling(entry))) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The agent's JVM options on an NE, from the resource the launcher reads too. */
  static List<String> jvmOptions() throws IOException {
    try (InputStream in = QuickstartAgent.class.getResourceAsStream(JVM_OPTIONS)) {
      if (in == null) {
        throw new IllegalStateException(JVM_OPTIONS + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .flatMap(l -> Arrays.stream(l.split("\\s+"))).toList();
    }
  }

  /** A JSON object (a command's --json output, an event line) as a map. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(String text) throws IOException {
    return JSON.readValue(text, Map.class);
  }

  /** The first element of a JSON array, as a map; empty if there is none. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> first(Object array) {
    return array instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> m
        ? (Map<String, Object>) m : Map.of();
  }

  private void writeScript(String name, String text) throws IOException {
    Path p = home.resolve(name);
    Files.writeString(p, text);
    out.println("$ cat " + p);
    out.print(text);
    out.flush();
  }

  /** Waits for the agent's next event named {@code event} (after those already shown). */
  private Map<String, Object> awaitEvent(String event) throws Exception {
    return awaitEvent(event, e -> true);
  }

  /** As {@link #awaitEvent(String)}, for an event that also matches {@code also}. */
  private Map<String, Object> awaitEvent(String event,
      java.util.function.Predicate<Map<String, Object>> also) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (true) {
      List<String> lines = lines();
      for (String line : lines.subList(Math.min(linesShown, lines.size()), lines.size())) {
        Map<String, Object> e = json(line);
        if (event.equals(e.get("event")) && also.test(e)) {
          return e;
        }
      }
      if (!agent.isAlive()) {
        throw new IllegalStateException("the agent exited " + agent.exitValue()
            + " while the quickstart waited for '" + event + "'; its log: " + log);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no '" + event + "' from the agent within "
            + WAIT_SECONDS + " s; its log: " + log);
      }
      Thread.sleep(200);
    }
  }

  /** Shows the agent's event lines since the last shown (its polls left out). */
  private void showEvents() throws IOException {
    List<String> lines = lines();
    for (String line : lines.subList(Math.min(linesShown, lines.size()), lines.size())) {
      if (!line.contains("\"event\":\"poll\"")) {
        out.println("  agent | " + line);
      }
    }
    linesShown = lines.size();
    out.flush();
  }

  private List<String> lines() throws IOException {
    if (!Files.exists(log)) {
      return List.of();
    }
    return Files.readAllLines(log).stream().filter(l -> l.startsWith("{")).toList();
  }

  private void stopAgent() throws Exception {
    if (agent == null) {
      return;
    }
    agent.destroy(); // SIGTERM: the agent finishes its step and logs "stopped"
    if (!agent.waitFor(30, TimeUnit.SECONDS)) {
      agent.destroyForcibly();
      agent.waitFor(10, TimeUnit.SECONDS);
    }
    out.println("The agent was stopped (SIGTERM); its log is in " + log);
    out.flush();
  }

  private static String[] cat(String[]... parts) {
    return Arrays.stream(parts).flatMap(Arrays::stream).toArray(String[]::new);
  }

  private void step(int n, String text) {
    QuickstartText.step(out, n, text);
  }

  private void show(String... args) {
    QuickstartText.show(out, args);
  }

  private void require(int expectedExit, String... args) {
    show(args);
    CommandLine cl = Main.newCommandLine();
    cl.setOut(out);
    cl.setErr(err);
    check(expectedExit, cl.execute(args), args);
  }

  /** Runs a command without showing its output; returns its standard output. */
  private String captured(int expectedExit, String... args) {
    StringWriter text = new StringWriter();
    CommandLine cl = Main.newCommandLine();
    cl.setOut(new PrintWriter(text, true));
    cl.setErr(err);
    check(expectedExit, cl.execute(args), args);
    return text.toString();
  }

  /** Fails unless {@code exit} is {@code expectedExit} (-1: a verdict, 0 or 3). */
  private static void check(int expectedExit, int exit, String... args) {
    if (expectedExit == -1 ? exit != 0 && exit != 3 : exit != expectedExit) {
      throw new IllegalStateException(
          "'neguard " + String.join(" ", args) + "' exited " + exit + ", expected " + expectedExit);
    }
  }
}
