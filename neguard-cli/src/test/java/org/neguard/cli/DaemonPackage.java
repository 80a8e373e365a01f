package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 14's sample package: a real daemon serving a TCP port on 127.0.0.1 (socat, a program
 * CI installs: missing, the tests fail), answering every connection with one line
 * {@code NAME VERSION}. The NE side: a {@code service.restart} script that stops the running
 * daemon (its pid file) and starts the active slot's {@code bin/run} in a session of its own,
 * and a {@code health.check} script that connects to the port and passes only when the answer is
 * the new version ({@code $NEGUARD_PACKAGE $NEGUARD_VERSION}). Every daemon started is kept in
 * {@code pids} so that {@link #stopAll} ends them (by id) after the tests.
 */
final class DaemonPackage {
  private DaemonPackage() {}

  /** A free port on loopback (closed again: the daemon binds it). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * The payload tree of NAME VERSION: {@code bin/run} execs socat on {@code port}; a
   * {@code broken} version's {@code bin/run} fails to start (exit 1, binds nothing), as a
   * version with a bad configuration would. {@code extra} adds files (path, bytes) to the tree.
   */
  static Path tree(Path dir, String name, String version, int port, boolean broken)
      throws IOException {
    Path tree = Files.createTempDirectory(dir, "daemon-" + name + "-" + version + "-");
    Path run = tree.resolve("bin/run");
    Files.createDirectories(run.getParent());
    String body = broken
        ? "echo \"" + name + " " + version + ": cannot start: no listen address configured\" >&2\n"
            + "exit 1\n"
        : "exec socat TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork"
            + " SYSTEM:'echo " + name + " " + version + "'\n";
    Files.writeString(run, "#!/bin/sh\n# " + name + " " + version + ": answers '" + name + " "
        + version + "' on 127.0.0.1:" + port + "\n" + body);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
    return tree;
  }

  /** Builds (scanned, signed) and uploads NAME VERSION of the daemon. */
  static Path publish(AgentFleet fleet, String name, String version, int securityVersion,
      int port, boolean broken) throws Exception {
    return fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, name, version,
        securityVersion, "mme", tree(fleet.dir, name, version, port, broken)));
  }

  /**
   * Writes the NE's restart and health-check scripts into its home and sets
   * {@code service.restart}, {@code health.check}, {@code health.timeout} and
   * {@code health.window} (retried every second for {@code window} seconds: a daemon needs a
   * moment to bind).
   */
  static void configure(AgentFleet.Ne ne, int port, int window) throws IOException {
    Path pidFile = ne.home.resolve("daemon.pid");
    Path pids = ne.home.resolve("daemon.pids");
    Path log = ne.home.resolve("daemon.log");
    Path restart = ne.home.resolve("restart.sh");
    Files.writeString(restart, "#!/bin/sh\n"
        + "# Stops the running daemon, starts the one of the active slot.\n"
        + "if [ -f " + pidFile + " ]; then\n"
        + "  old=$(cat " + pidFile + ")\n"
        + "  kill \"$old\" 2>/dev/null\n"
        + "  i=0; while kill -0 \"$old\" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1;"
        + " i=$((i+1)); done\n"
        + "  rm -f " + pidFile + "\n"
        + "fi\n"
        + "setsid \"$NEGUARD_SLOT/bin/run\" >> " + log + " 2>&1 < /dev/null &\n"
        + "echo $! > " + pidFile + "\n"
        + "echo $! >> " + pids + "\n"
        + "echo \"started $NEGUARD_PACKAGE $NEGUARD_VERSION from $NEGUARD_SLOT, pid $!\"\n");
    Path check = ne.home.resolve("health.sh");
    Files.writeString(check, "#!/bin/sh\n"
        + "# Healthy when the daemon on the port answers with the new version.\n"
        + "answer=$(socat -T 2 - TCP:127.0.0.1:" + port + ",connect-timeout=2 < /dev/null"
        + " 2>&1)\n"
        + "if [ \"$answer\" = \"$NEGUARD_PACKAGE $NEGUARD_VERSION\" ]; then echo \"127.0.0.1:"
        + port + " answers $answer\"; exit 0; fi\n"
        + "echo \"127.0.0.1:" + port + " answered '$answer', not '$NEGUARD_PACKAGE"
        + " $NEGUARD_VERSION'\"\nexit 1\n");
    for (Path p : List.of(restart, check)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ne.set("service.restart", restart.toString());
    ne.set("health.check", check.toString());
    ne.set("health.timeout", "5s");
    ne.set("health.window", window + "s");
  }

  /** What the daemon on {@code port} answers (one line), or the failure to connect. */
  static String ask(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
      s.setSoTimeout(2_000);
      s.shutdownOutput();
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      in.transferTo(b);
      return b.toString(StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "no answer: " + e.getMessage();
    }
  }

  /** Waits (10 s at most) until the daemon on {@code port} answers {@code expected}. */
  static void awaitAnswer(int port, String expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String got = ask(port);
    while (!got.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      got = ask(port);
    }
    assertThat(got).as("the daemon on 127.0.0.1:%d", port).isEqualTo(expected);
  }

  /** Ends every daemon the NE's restart script started (by pid, with their children). */
  static void stopAll(AgentFleet.Ne ne) throws IOException {
    Path pids = ne.home.resolve("daemon.pids");
    if (!Files.exists(pids)) {
      return;
    }
    for (String line : Files.readAllLines(pids)) {
      if (line.isBlank()) {
        continue;
      }
      ProcessHandle.of(Long.parseLong(line.strip())).ifPresent(p -> {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      });
    }
  }
}
