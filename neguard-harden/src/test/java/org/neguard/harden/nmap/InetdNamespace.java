package org.neguard.harden.nmap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.neguard.testing.RequiredProgram;

/**
 * A network namespace of the test's own with Debian's inetutils-inetd serving classic insecure
 * services on its loopback: echo, time, discard, daytime (internal), telnet (telnetd), finger
 * (in.fingerd), rlogin and rsh (in.rlogind, in.rshd). Nothing reaches the host's network; close()
 * stops every process in the namespace by PID and deletes it.
 */
final class InetdNamespace implements AutoCloseable {
  static final String CONF = String.join("\n",
      "echo stream tcp nowait root internal",
      "echo dgram udp wait root internal",
      "time stream tcp nowait root internal",
      "time dgram udp wait root internal",
      "discard stream tcp nowait root internal",
      "daytime stream tcp nowait root internal",
      "telnet stream tcp nowait root /usr/sbin/telnetd telnetd",
      "finger stream tcp nowait nobody /usr/sbin/in.fingerd in.fingerd",
      "login stream tcp nowait root /usr/sbin/in.rlogind in.rlogind",
      "shell stream tcp nowait root /usr/sbin/in.rshd in.rshd", "");

  final String name;
  private final String ip;
  private Process inetd;

  private InetdNamespace(String name, String ip) {
    this.name = name;
    this.ip = ip;
  }

  /** Creates the namespace and starts inetd in it; skips (fails in CI) without root or tools. */
  static InetdNamespace start(Path dir) throws IOException, InterruptedException {
    String ip = RequiredProgram.require("ip").toString();
    String inetd = RequiredProgram.require("inetutils-inetd").toString();
    for (String daemon : List.of("telnetd", "in.fingerd", "in.rlogind", "in.rshd")) {
      RequiredProgram.require(daemon);
    }
    if (!NmapRun.root()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError("network namespaces need root; CI runs the tests as root");
      }
      Assumptions.abort("network namespaces need root");
    }
    InetdNamespace ns = new InetdNamespace(
        "ngeval-" + ProcessHandle.current().pid() + "-"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20)), ip);
    run(ip, "netns", "add", ns.name);
    try {
      run(ip, "netns", "exec", ns.name, ip, "link", "set", "lo", "up");
      Path conf = dir.resolve("inetd.conf");
      Files.writeString(conf, CONF);
      // 'ip netns exec' execs inetd in place: the Process is inetd itself, stopped by its PID.
      ns.inetd = new ProcessBuilder(ip, "netns", "exec", ns.name, inetd, "-d",
          "--pidfile=" + dir.resolve("inetd.pid"), conf.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("inetd.log").toFile()).start();
      ns.awaitListening(dir);
      return ns;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      ns.close();
      throw e;
    }
  }

  /** Runs a command inside the namespace and waits for it. */
  void exec(String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of(ip, "netns", "exec", name));
    all.addAll(List.of(cmd));
    run(all.toArray(String[]::new));
  }

  private void awaitListening(Path dir) throws IOException, InterruptedException {
    Path out = dir.resolve("ss.txt");
    for (int i = 0; i < 50; i++) {
      Process p = new ProcessBuilder(ip, "netns", "exec", name, "ss", "-ltn")
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      p.waitFor(10, TimeUnit.SECONDS);
      if (Files.readString(out).contains(":514 ")) {
        return;
      }
      if (!inetd.isAlive()) {
        throw new AssertionError("inetd exited: " + Files.readString(dir.resolve("inetd.log")));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("inetd did not listen within 5 s");
  }

  @Override
  public void close() {
    if (inetd != null) {
      inetd.destroy();
      try {
        if (!inetd.waitFor(5, TimeUnit.SECONDS)) {
          inetd.destroyForcibly();
        }
      } catch (InterruptedException e) {
        inetd.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      // Anything inetd spawned for a probe and that outlived it: by PID, ours only.
      Process p = new ProcessBuilder(ip, "netns", "pids", name).redirectErrorStream(true).start();
      String pids = new String(p.getInputStream().readAllBytes());
      p.waitFor(10, TimeUnit.SECONDS);
      for (String pid : pids.split("\\s+")) {
        if (pid.matches("\\d+")) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      run(ip, "netns", "del", name);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException("could not delete network namespace " + name, e);
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + String.join(" ", cmd));
    }
    if (p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    }
  }
}
