package org.neguard.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.neguard.cli.server.ServerLauncher;
import picocli.CommandLine;

/**
 * The OAM-server part of the quickstart (SRC-1, SRC-2, SRC-3, REC-2): starts a server in this JVM
 * on a free loopback port with its data under the quickstart's directory, creates a publisher,
 * uploads the signed sample as that publisher (accepted), uploads the tampered copy (refused
 * with the same reason as {@code pkg verify}), deploys the sample to simulated devices with
 * four-eyes approval, and verifies the audit chain. Each client step
 * runs the very command line a user would type, shown first. The server is stopped at the end.
 *
 * <p>Meant to be called by {@code QuickstartCommand} after its verify steps.
 */
final class QuickstartServer {
  private final PrintWriter out;
  private final PrintWriter err;

  private QuickstartServer(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the server steps, numbered from {@code firstStep}.
   *
   * @param work the quickstart's directory; {@code server/} and {@code client/} are made in it
   * @param bundle the signed sample bundle
   * @param tampered the tampered copy
   * @param caCert the demo CA the sample is signed under, the server's trust anchor
   * @param agentVersions the two newer (scanned, signed) versions for the NE agent's steps
   *     ({@link QuickstartAgent}), after the repository's
   * @param vulnerable the package of the publication gate's vulnerability step, after the
   *     repository's: the server runs with a vulnerability database
   * @throws IllegalStateException if a step does not end as expected
   */
  static int run(PrintWriter out, PrintWriter err, int firstStep, Path work, Path bundle,
      String name, String version, Path tampered, Path caCert,
      QuickstartAgent.Versions agentVersions, VulnGateStep.Package vulnerable) throws Exception {
    return new QuickstartServer(out, err).steps(firstStep, work, bundle, name, version, tampered,
        caCert, Objects.requireNonNull(agentVersions, "agentVersions"),
        Objects.requireNonNull(vulnerable, "vulnerable"));
  }

  /** Runs the steps from {@code n}; returns the number of the step after them. */
  private int steps(int n, Path work, Path bundle, String name, String version, Path tampered,
      Path caCert, QuickstartAgent.Versions agentVersions, VulnGateStep.Package vulnerable)
      throws Exception {
    Path data = work.resolve("server");
    Path client = work.resolve("client");
    Path adminPassword = secretFile(work.resolve("admin-password.txt"));
    Path publisherPassword = secretFile(work.resolve("publisher-password.txt"));
    step(n, "Start an OAM server on a free loopback port (embedded database in " + data + "),"
        + " with a vulnerability database for its publication gate");
    // One vulnerability database for the publication gate and the NEs' packages: the gate's
    // feed imported before the start, the NE step's demo feed while the server runs.
    Path vulnDb = VulnGateStep.importFeed(out, err, work);
    show("server", "--data", data.toString(), "--port", "0", "--trust", caCert.toString(),
        "--admin-password-file", adminPassword.toString(), "--repo-public", "--vulndb",
        vulnDb.toString(), "--vulndb-max-age", "3650d");
    int next;
    // The NE step's demo feed is as old as the changelogs it was written from: a real server
    // keeps the default --vulndb-max-age of 7 days, and shows an older database as
    // STALE_DATABASE.
    try (ServerLauncher.Running server = ServerLauncher.startQuiet(data, adminPassword, caCert,
        vulnDb, java.time.Duration.ofDays(3650))) {
      String url = server.url();
      out.println("NEGuard server listening on " + url);
      // The operators' web console (issue 18), open while the quickstart runs: the password is
      // named by its file, never printed.
      out.println("Web console: " + url.replaceAll("/+$", "") + "/console (log in as admin, the"
          + " password is in " + adminPassword + ")");
      out.flush();
      String[] cfg = {"--config", client.toString()};

      step(n + 1, "Log in as the first admin and create a publisher account");
      require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
          "--password-file", adminPassword.toString()}, cfg));
      require(0, cat(new String[] {"user", "add", "publisher1", "--role", "publisher",
          "--password-file", publisherPassword.toString()}, cfg));

      step(n + 2, "Upload the signed package as the publisher: the server verifies it, then stores it");
      require(0, cat(new String[] {"login", "--server", url, "--user", "publisher1",
          "--password-file", publisherPassword.toString()}, cfg));
      require(0, cat(new String[] {"pkg", "upload", bundle.toString()}, cfg));

      step(n + 3, "Upload the tampered copy: refused, with the same reason as pkg verify, nothing stored");
      require(3, cat(new String[] {"pkg", "upload", tampered.toString()}, cfg));
      require(0, cat(new String[] {"pkg", "list"}, cfg));

      deploy(n + 4, url, cfg, work, name, version, adminPassword);

      repository(n + 7, url, cfg, work, name, version);
      next = n + 10;

      next = vulnGate(next, url, work, vulnerable, publisherPassword);
      next = QuickstartAgent.run(out, err, next, work, new QuickstartAgent.Server(url, cfg,
          new String[] {"--config", work.resolve("approver-client").toString()},
          publisherPassword, work.resolve("operator-password.txt"), adminPassword,
          work.resolve("repository/root.json"), caCert), agentVersions);

      step(next, "Read the hash-chained audit log as admin, and verify the chain");
      require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
          "--password-file", adminPassword.toString()}, cfg));
      require(0, cat(new String[] {"audit", "list", "--limit", "6"}, cfg));
      require(0, cat(new String[] {"audit", "verify"}, cfg));
    }
    out.println();
    out.println("The server was stopped; its data is in " + data);
    out.flush();
    return next + 1;
  }

  /**
   * Steps {@code n} to {@code n + 2} (OBJ-1, SRC-2, INT-4; docs/REPOSITORY.md): two root key
   * holders each make their own key, the admin assembles a 2-of-2 root from the public keys and
   * the server's online keys, one signature is refused at publication and two are published;
   * the server publishes the sample package as a target; NEGuard's TUF client ({@code repo
   * verify}) and tuf-js, a client written by others, each fetch it, checking length and hash.
   * Expects the admin logged in.
   */
  private void repository(int n, String url, String[] cfg, Path work, String name,
      String version) throws Exception {
    Path repo = Files.createDirectories(work.resolve("repository"));
    Path key1 = Files.createDirectories(repo.resolve("holder-1")).resolve("root.key");
    Path key2 = Files.createDirectories(repo.resolve("holder-2")).resolve("root.key");
    Path pw1 = secretFile(repo.resolve("holder-1-password.txt"));
    Path pw2 = secretFile(repo.resolve("holder-2-password.txt"));
    Path root = repo.resolve("root.json");
    step(n, "The repository's root: two root key holders each make their own key (each on"
        + " their own machine, in real life), and the admin assembles a 2-of-2 root from their"
        + " public keys and the server's online keys");
    require(0, "repo", "key", "new", "--out", key1.toString(), "--password-file",
        pw1.toString());
    require(0, "repo", "key", "new", "--out", key2.toString(), "--type", "ecdsa-p256",
        "--password-file", pw2.toString());
    require(0, cat(new String[] {"repo", "init", "--root-key", key1 + ".pub.json",
        "--root-key", key2 + ".pub.json", "--threshold", "2", "--out", root.toString()}, cfg));

    step(n + 1, "Each holder signs it in turn: with one signature of two, publishing it is"
        + " refused (REPO_SIGNATURE); with both, the admin publishes it, and the server"
        + " publishes the sample package as a target");
    require(0, "repo", "root", "sign", root.toString(), "--key", key1.toString(),
        "--password-file", pw1.toString());
    require(3, cat(new String[] {"repo", "root", "publish", root.toString()}, cfg));
    require(0, "repo", "root", "sign", root.toString(), "--key", key2.toString(),
        "--password-file", pw2.toString());
    require(0, cat(new String[] {"repo", "root", "publish", root.toString()}, cfg));

    step(n + 2, "Any TUF client fetches the package from root.json: NEGuard's (repo verify) and"
        + " tuf-js, a client written by others, each checking its length and SHA-256");
    String target = name + "-" + version + ".ngp";
    String base = url.replaceAll("/+$", "") + "/api/repo/v1";
    Path fetched = Files.createDirectories(repo.resolve("fetched"));
    require(0, "repo", "verify", "--repo", base, "--root", root.toString(), "--state-dir",
        repo.resolve("client-state").toString(), "--target", target, "--out",
        fetched.resolve(target).toString());
    TufJs.fetch(out, err, base, root, target, Files.createDirectories(repo.resolve("tuf-js")));
  }

  /**
   * Step {@code n} (issue 16, AV-2's spirit): a package whose signed SBOM names telnetd at a
   * version with a critical known vulnerability is refused and held, not lost; an approver's
   * VEX statement without a reason is refused; one with a reason publishes the package. Uses the
   * approver's client configuration the deployment steps logged in.
   */
  private int vulnGate(int n, String url, Path work, VulnGateStep.Package p,
      Path publisherPassword) throws Exception {
    String[] pub = {"--config", work.resolve("vuln-publisher-client").toString()};
    String[] approver = {"--config", work.resolve("approver-client").toString()};
    Path vex = VulnGateStep.writeVex(work.resolve("vex"));
    step(n, "A package whose signed SBOM names telnetd " + VulnGateStep.TELNETD_VERSION
        + " (CVE-2026-24061, critical): the server holds it instead of publishing it; a VEX"
        + " statement without a reason is refused; an approver's statement with one publishes"
        + " it");
    require(0, cat(new String[] {"login", "--server", url, "--user", "publisher1",
        "--password-file", publisherPassword.toString()}, pub));
    require(3, cat(new String[] {"pkg", "upload", p.bundle().toString()}, pub));
    require(0, cat(new String[] {"pkg", "held"}, pub));
    require(3, cat(new String[] {"pkg", "vex", p.name(), p.version(), "--file",
        vex.resolve(VulnGateStep.NO_REASON).toString()}, approver));
    require(0, cat(new String[] {"pkg", "vex", p.name(), p.version(), "--file",
        vex.resolve(VulnGateStep.REASONED).toString()}, approver));
    require(0, cat(new String[] {"pkg", "list"}, approver));
    return n + 1;
  }

  /**
   * Steps {@code n} to {@code n + 2} (SRC-1, REC-2): six simulated devices enroll (real keys and
   * mutual TLS); an operator creates a deployment of the package to them in two waves; the
   * operator's own approval is refused (four-eyes), an approver's starts it; the devices verify
   * their signed orders, download the bundle and report, and the status shows it done.
   */
  private void deploy(int n, String url, String[] cfg, Path work, String name, String version,
      Path adminPassword) throws Exception {
    Path operatorPassword = secretFile(work.resolve("operator-password.txt"));
    Path approverPassword = secretFile(work.resolve("approver-password.txt"));
    Path devices = work.resolve("devices");
    step(n, "Create an operator (who may approve too) and an approver; enroll six simulated"
        + " devices, each with its own key and certificate");
    require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
        "--password-file", adminPassword.toString()}, cfg));
    require(0, cat(new String[] {"user", "add", "operator1", "--role", "operator", "--role",
        "approver", "--password-file", operatorPassword.toString()}, cfg));
    require(0, cat(new String[] {"user", "add", "approver1", "--role", "approver",
        "--password-file", approverPassword.toString()}, cfg));
    require(0, cat(new String[] {"login", "--server", url, "--user", "operator1",
        "--password-file", operatorPassword.toString()}, cfg));
    String[] sim = {"sim", "agents", "--server", url, "--count", "6", "--label", "quickstart",
        "--id-prefix", "qs-ne-", "--state-dir", devices.toString(), "--poll-interval", "1s"};
    require(0, cat(sim, new String[] {"--duration", "1s"}, cfg));
    require(0, cat(new String[] {"device", "list", "--label", "quickstart"}, cfg));

    step(n + 1, "As the operator, deploy the package to them in two waves; approving it"
        + " yourself is refused (four-eyes, FOUR_EYES)");
    String created = captured(0, cat(new String[] {"deploy", "create", "--package", name,
        "--version", version, "--label", "quickstart", "--waves", "2,100%"}, cfg));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("Created deployment (\\S+) ").matcher(created);
    if (!m.find()) {
      throw new IllegalStateException("no deployment id in: " + created);
    }
    String id = m.group(1);
    require(3, cat(new String[] {"deploy", "approve", id}, cfg));

    step(n + 2, "The devices poll; an approver approves: each device verifies its signed order,"
        + " downloads the bundle and reports, wave by wave");
    show(cat(sim, new String[] {"--until-idle", "--duration", "2m", "&"}, cfg));
    StringWriter simOut = new StringWriter();
    StringWriter simErr = new StringWriter();
    java.util.concurrent.CompletableFuture<Integer> devicesRun =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          CommandLine cl = Main.newCommandLine();
          cl.setOut(new PrintWriter(simOut, true));
          cl.setErr(new PrintWriter(simErr, true));
          return cl.execute(cat(sim, new String[] {"--until-idle", "--duration", "2m"}, cfg));
        });
    // The approver's own client configuration: the devices' run keeps reading the operator's.
    String[] approver = {"--config", work.resolve("approver-client").toString()};
    require(0, cat(new String[] {"login", "--server", url, "--user", "approver1",
        "--password-file", approverPassword.toString()}, approver));
    require(0, cat(new String[] {"deploy", "approve", id, "--comment", "change 4711"},
        approver));
    int watched = run(cat(new String[] {"deploy", "status", id, "--watch", "--interval", "1s",
        "--timeout", "3m"}, cfg));
    int simExit;
    try {
      simExit = devicesRun.get(3, java.util.concurrent.TimeUnit.MINUTES);
    } catch (java.util.concurrent.TimeoutException e) {
      simExit = -1;
    }
    out.print(simOut);
    out.flush();
    if (watched != 0 || simExit != 0) {
      throw new IllegalStateException("the deployment did not complete (deploy status exited "
          + watched + ", the simulated devices " + simExit + "): " + simErr + simOut);
    }
    require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
        "--password-file", adminPassword.toString()}, cfg));
  }

  private static Path secretFile(Path file) throws IOException {
    byte[] random = new byte[12];
    new SecureRandom().nextBytes(random);
    Files.deleteIfExists(file);
    Files.createFile(file,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, "qs-" + HexFormat.of().formatHex(random) + "\n",
        StandardCharsets.US_ASCII);
    return file;
  }

  private static String[] cat(String[]... parts) {
    return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream)
        .toArray(String[]::new);
  }

  private void step(int n, String text) {
    QuickstartText.step(out, n, text);
  }

  private void show(String... args) {
    QuickstartText.show(out, args);
  }

  private void require(int expectedExit, String... args) {
    check(expectedExit, run(args), args);
  }

  /** Shows and runs one command; returns its exit code. */
  private int run(String... args) {
    show(args);
    CommandLine cl = Main.newCommandLine();
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  /** {@link #require}, and what the command printed on standard output (shown as well). */
  private String captured(int expectedExit, String... args) {
    show(args);
    StringWriter text = new StringWriter();
    CommandLine cl = Main.newCommandLine();
    cl.setOut(new PrintWriter(text, true));
    cl.setErr(err);
    int exit = cl.execute(args);
    out.print(text);
    out.flush();
    check(expectedExit, exit, args);
    return text.toString();
  }

  private static void check(int expectedExit, int exit, String... args) {
    if (exit != expectedExit) {
      throw new IllegalStateException(
          "'neguard " + String.join(" ", args) + "' exited " + exit + ", expected " + expectedExit);
    }
  }
}
