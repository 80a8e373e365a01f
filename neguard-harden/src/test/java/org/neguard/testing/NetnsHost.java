package org.neguard.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.neguard.harden.Observation;
import org.neguard.harden.Transport;
import org.neguard.harden.inventory.LocalInventory;

/**
 * A private host for tests that need real daemons on a real network path: a network namespace
 * joined to this one by a veth pair, with addresses from an unused 10.231.N.0/29 (this side .1,
 * the namespace .2; .6 is left unassigned so it never answers). Daemons run inside with
 * {@code ip netns exec}; {@link #close()} stops every process by its pid (those started here, and
 * any their children left in the namespace), deletes the namespace, the veth pair, the temp
 * directory and the files daemons were known to leave in /run, also when a test failed (a
 * shutdown hook covers a JVM that dies before {@code @AfterAll}).
 *
 * <p>Needs root and iproute2: in CI a missing prerequisite fails the test, elsewhere it skips.
 * Scans in tests may target only {@link #address()} and {@link #unusedAddress()}.
 */
public final class NetnsHost implements AutoCloseable {
  /** A process started in the namespace. */
  public record Daemon(String label, long pid, Process process, Path log) {}

  private final String name;
  private final String hostVeth;
  private final int subnet;
  private final Path dir;
  private final List<Daemon> daemons = new ArrayList<>();
  private final List<Path> leftovers = new ArrayList<>();
  private final Thread hook;
  private boolean closed;

  private NetnsHost(String name, String hostVeth, int subnet, Path dir) {
    this.name = name;
    this.hostVeth = hostVeth;
    this.subnet = subnet;
    this.dir = dir;
    this.hook = new Thread(this::closeQuietly, "netns-cleanup-" + name);
  }

  /** Creates the namespace and its link; fails in CI, skips elsewhere, when not possible. */
  public static NetnsHost create() throws IOException, InterruptedException {
    RequiredProgram.require("ip");
    if (!"root".equals(System.getProperty("user.name"))) {
      String message = "network namespaces need root";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new AssertionError(message);
      }
      Assumptions.abort(message);
    }
    String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    // Test JVMs side by side (surefire forks, two builds) each pick a free subnet: the choice
    // and the address that takes it happen under one lock of the host, so two never pick the
    // same one (each would then route the other's namespace). The monitor first: a second
    // thread of this JVM asking for the file lock would get OverlappingFileLockException.
    synchronized (NetnsHost.class) {
      try (FileChannel lock = FileChannel.open(Path.of(System.getProperty("java.io.tmpdir"),
              "neguard-netns-subnet.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock held = lock.lock()) {
        return createLocked(tag);
      }
    }
  }

  private static NetnsHost createLocked(String tag) throws IOException, InterruptedException {
    String used = run(List.of("ip", "-4", "addr", "show")) + run(List.of("ip", "-4", "route", "show"));
    int subnet = -1;
    int start = ThreadLocalRandom.current().nextInt(256);
    for (int i = 0; i < 256; i++) {
      int n = (start + i) % 256;
      if (!used.contains("10.231." + n + ".")) {
        subnet = n;
        break;
      }
    }
    if (subnet < 0) {
      throw new IOException("no free 10.231.N.0/29 subnet on this host");
    }
    Path dir = Files.createTempDirectory("netns-" + tag + "-");
    NetnsHost h = new NetnsHost("ngt-" + tag, "ngh" + tag, subnet, dir);
    Runtime.getRuntime().addShutdownHook(h.hook);
    try {
      h.sh("ip", "netns", "add", h.name);
      h.sh("ip", "link", "add", h.hostVeth, "type", "veth", "peer", "name", "ngn" + tag);
      h.sh("ip", "link", "set", "ngn" + tag, "netns", h.name);
      h.sh("ip", "addr", "add", h.hostAddress() + "/29", "dev", h.hostVeth);
      h.sh("ip", "link", "set", h.hostVeth, "up");
      h.sh("ip", "netns", "exec", h.name, "ip", "addr", "add", h.address() + "/29", "dev", "ngn" + tag);
      h.sh("ip", "netns", "exec", h.name, "ip", "link", "set", "ngn" + tag, "up");
      h.sh("ip", "netns", "exec", h.name, "ip", "link", "set", "lo", "up");
    } catch (IOException | RuntimeException | InterruptedException e) {
      h.close();
      throw e;
    }
    return h;
  }

  /** What a test starts in a new host. */
  public interface SetUp {
    void run(NetnsHost host) throws Exception;
  }

  /** Creates a host and runs {@code setUp} in it; a set-up that fails closes the host first. */
  public static NetnsHost create(SetUp setUp) throws Exception {
    NetnsHost h = create();
    try {
      setUp.run(h);
    } catch (Exception | AssertionError e) {
      h.close();
      throw e;
    }
    return h;
  }

  /** The namespace's address, the only one tests may scan. */
  public String address() {
    return "10.231." + subnet + ".2";
  }

  /** This side of the link. */
  public String hostAddress() {
    return "10.231." + subnet + ".1";
  }

  /** An address on the link that nobody holds: ARP fails, connects end in "no route to host". */
  public String unusedAddress() {
    return "10.231." + subnet + ".6";
  }

  public String name() {
    return name;
  }

  /** A private directory for configuration, data and logs; deleted on close. */
  public Path dir() {
    return dir;
  }

  /** Runs a command inside the namespace to completion; fails on a non-zero exit. */
  public String exec(String... command) throws IOException, InterruptedException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
    c.addAll(List.of(command));
    return run(c);
  }

  /**
   * Starts a foreground daemon in the namespace ({@code ip netns exec} and {@code setsid} exec it,
   * so the pid is the daemon's own), output to {@code dir/label.log}.
   */
  public Daemon start(String label, String... command) throws IOException {
    // setsid (which execs in place: a child of the JVM leads no group) gives each daemon its own
    // session, so a daemon that signals its process group on exit (smbd does) hits only itself.
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name, "setsid"));
    c.addAll(List.of(command));
    Path log = dir.resolve(label + ".log");
    Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Daemon d = new Daemon(label, p.pid(), p, log);
    synchronized (daemons) {
      daemons.add(d);
    }
    return d;
  }

  /** Starts a daemon that forks into the background and writes its pid to {@code pidFile}. */
  public Daemon startForking(String label, Path pidFile, String... command) throws IOException, InterruptedException {
    Daemon launcher = start(label, command);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (Files.exists(pidFile)) {
        String text = Files.readString(pidFile).strip();
        if (!text.isEmpty()) {
          long pid = Long.parseLong(text.split("\\s+")[0]);
          Daemon d = new Daemon(label, pid, null, launcher.log());
          synchronized (daemons) {
            daemons.add(d);
          }
          return d;
        }
      }
      Thread.sleep(50);
    }
    throw new IOException(label + " wrote no pid file " + pidFile + "; log: " + log(launcher));
  }

  /** Files a daemon leaves outside {@link #dir()} (/run sockets), removed on close if absent now. */
  public void removeOnClose(Path p) {
    if (!Files.exists(p)) {
      leftovers.add(p);
    }
  }

  /** Waits until something in the namespace listens on {@code port}, as the inventory sees it. */
  public void awaitListening(Daemon d, Transport t, int port, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (d.process() != null && !d.process().isAlive()) {
        throw new IOException(d.label() + " exited with " + d.process().exitValue() + "; log: " + log(d));
      }
      Observation o = LocalInventory.ofNamespaceOf(d.pid()).take();
      if (o.ports().stream().anyMatch(p -> p.transport() == t && p.port() == port)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(d.label() + " does not listen on " + t + " " + port + " after " + timeout + "; log: " + log(d));
      }
      Thread.sleep(100);
    }
  }

  public static String log(Daemon d) {
    try {
      return Files.readString(d.log(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Stops every process, deletes the namespace, the link and every file; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Long> pids = new ArrayList<>();
    synchronized (daemons) {
      for (Daemon d : daemons) {
        pids.add(d.pid());
      }
    }
    try {
      for (String p : run(List.of("ip", "netns", "pids", name)).split("\\s+")) {
        if (!p.isBlank()) {
          pids.add(Long.parseLong(p.strip()));
        }
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // No namespace (creation failed early): only our own daemons to stop.
    }
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(h -> {
        long left = Math.max(1, deadline - System.nanoTime());
        try {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (Exception e) {
          h.destroyForcibly();
        }
      });
    }
    // A last look: children started meanwhile (inetd spawning a server for a late probe).
    try {
      for (String p : run(List.of("ip", "netns", "pids", name)).split("\\s+")) {
        if (!p.isBlank()) {
          ProcessHandle.of(Long.parseLong(p.strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      // gone already
    }
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(h -> {
        try {
          h.onExit().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
          // reported by the leak check below
        }
      });
    }
    try {
      run(List.of("ip", "netns", "del", name));
    } catch (IOException | InterruptedException | RuntimeException e) {
      // not created
    }
    try {
      run(List.of("ip", "link", "del", hostVeth));
    } catch (IOException | InterruptedException | RuntimeException e) {
      // deleting the namespace took the pair with it
    }
    for (Path p : leftovers) {
      deleteTree(p);
    }
    deleteTree(dir);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // running from the hook itself
    }
  }

  /**
   * For an {@code @AfterAll}: closes {@code host}, if one was created, and fails unless it left
   * nothing behind.
   */
  public static void closeChecked(NetnsHost host) throws IOException, InterruptedException {
    if (host == null) {
      return;
    }
    host.close();
    if (!host.leftNothing()) {
      throw new AssertionError("network namespace " + host.name + ": processes, the namespace or files were left behind");
    }
  }

  /** Whether the namespace and the processes are gone (for a test of the harness itself). */
  public boolean leftNothing() throws IOException, InterruptedException {
    String list = run(List.of("ip", "netns", "list"));
    synchronized (daemons) {
      return !list.contains(name) && daemons.stream().noneMatch(d -> ProcessHandle.of(d.pid()).isPresent())
          && !Files.exists(dir);
    }
  }

  private void closeQuietly() {
    close();
  }

  private void sh(String... command) throws IOException, InterruptedException {
    run(List.of(command));
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + command);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
    }
    return out;
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(x -> {
        try {
          Files.deleteIfExists(x);
        } catch (IOException e) {
          // best effort; the leak check reports the directory
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }
}
