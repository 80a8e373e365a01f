package org.neguard.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A control group per grouped command (docs/AGENT.md "Package hooks", containment): a process
 * that leaves the command's session and process group ({@code setsid}, a double fork) still
 * stays in the cgroup its ancestor was put in, so killing the cgroup kills it. Which mechanism is
 * in force is decided once, at agent start, by trying each in a fixed order (a probe process
 * moved into a probe cgroup, killed, the cgroup removed): cgroup v2 below the agent's own cgroup,
 * else the cgroup v1 freezer hierarchy, else the v1 pids one, else none: the process-group kill
 * alone, as before (hooks still run).
 */
final class Containment {
  /** The cgroup file system's mount point: every cgroup this class makes or kills is below it. */
  static final Path CGROUP_FS = Path.of("/sys/fs/cgroup");
  /** The name of every command cgroup; nothing else is ever killed or removed. */
  static final String PREFIX = "neguard-command-";
  /** The v1 hierarchies' directory of the agent's command cgroups. */
  static final String V1_PARENT = "neguard-agent";

  /** No cgroup: the process-group kill only. */
  static final Containment NONE = new Containment(null, "process group only");

  private final Path parent;
  private final String describe;

  private Containment(Path parent, String describe) {
    this.parent = parent;
    this.describe = describe;
  }

  /** For the start-up log event {@code hook_containment}. */
  String describe() {
    return describe;
  }

  /** Whether commands get a cgroup of their own. */
  boolean active() {
    return parent != null;
  }

  /** The first mechanism that works on this machine, tried in a fixed order. */
  static Containment detect() {
    List<String> tried = new java.util.ArrayList<>();
    return usable(tried, true).stream().findFirst().orElseGet(() -> new Containment(null,
        "process group only: a hook that starts a session of its own (setsid) can outlive its"
        + " timeout and an agent crash" + (tried.isEmpty() ? " (no cgroup hierarchy found)"
        : " (" + String.join("; ", tried) + ")")));
  }

  /**
   * Each mechanism that works here, in the order {@link #detect} tries them (all of them unless
   * {@code firstOnly}); {@code tried} gets why each other one does not.
   */
  static List<Containment> usable(List<String> tried, boolean firstOnly) {
    List<Containment> found = new java.util.ArrayList<>();
    for (Path root : List.of(CGROUP_FS, CGROUP_FS.resolve("unified"))) {
      if (!Files.exists(root.resolve("cgroup.controllers"))) {
        continue; // not a cgroup2 mount
      }
      Optional<Path> own = ownV2Cgroup(root);
      if (own.isEmpty()) {
        continue;
      }
      String why = probe(own.get());
      if (why == null) {
        found.add(new Containment(own.get(), "cgroup v2 below " + own.get()));
        if (firstOnly) {
          return found;
        }
        break; // one v2 hierarchy per machine
      }
      tried.add("cgroup v2 below " + own.get() + ": " + why);
    }
    for (String hierarchy : List.of("freezer", "pids")) {
      Path mount = CGROUP_FS.resolve(hierarchy);
      if (!Files.exists(mount.resolve("cgroup.procs"))) {
        continue;
      }
      Path dir = mount.resolve(V1_PARENT);
      String why;
      try {
        Files.createDirectories(dir);
        why = probe(dir);
      } catch (IOException e) {
        why = "cannot create " + dir + " (" + e.getMessage() + ")";
      }
      if (why == null) {
        found.add(new Containment(dir, "cgroup v1 " + hierarchy + " below " + dir));
        if (firstOnly) {
          return found;
        }
      } else {
        tried.add("cgroup v1 " + hierarchy + ": " + why);
      }
    }
    return found;
  }

  /** The directory the command cgroups are made in; empty for {@link #NONE}. */
  Optional<Path> parent() {
    return Optional.ofNullable(parent);
  }

  /** The agent's own cgroup in the v2 hierarchy mounted at {@code root}. */
  private static Optional<Path> ownV2Cgroup(Path root) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        if (line.startsWith("0::/")) {
          Path own = root.resolve(line.substring(4)).normalize();
          return own.startsWith(root) ? Optional.of(own) : Optional.empty();
        }
      }
    } catch (IOException e) {
      // no /proc: no cgroup
    }
    return Optional.empty();
  }

  /**
   * Null when a process can be put into a fresh cgroup below {@code dir}, killed there and the
   * cgroup removed; else why not. Empty command cgroups an earlier run left (an agent killed
   * between making one and writing the pid file) are removed on the way, but only those whose
   * process is gone ({@link #stale}): another agent sharing {@code dir} may have just made one and
   * not yet moved its command in.
   */
  private static String probe(Path dir) {
    if (!Files.isWritable(dir)) {
      return dir + " is not writable by the agent";
    }
    try (var old = Files.newDirectoryStream(dir, PREFIX + "*")) {
      for (Path p : old) {
        if (!stale(p.getFileName().toString().substring(PREFIX.length()))) {
          continue;
        }
        try {
          Files.delete(p);
        } catch (IOException e) {
          // not empty: the pid file names it, killLeftover kills it
        }
      }
    } catch (IOException e) {
      return "cannot list " + dir + " (" + e.getMessage() + ")";
    }
    Process p = null;
    Path cg = dir.resolve(PREFIX + "probe-" + ProcessHandle.current().pid());
    try {
      p = new ProcessBuilder("/bin/sh", "-c", "read -r x").redirectErrorStream(true).start();
      new Containment(dir, "probe").enter(p.pid(), "probe-" + ProcessHandle.current().pid())
          .orElseThrow(() -> new IOException("cannot move a process into " + cg));
      if (!kill(cg)) {
        return "cannot kill the processes of " + cg + " or remove it";
      }
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        return "a process in " + cg + " survived the kill";
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return String.valueOf(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
      try {
        Files.deleteIfExists(cg);
      } catch (IOException ignored) {
        // reported above: the probe failed
      }
    }
  }

  /**
   * Whether a command cgroup's name (without {@link #PREFIX}) names a process that is gone: the
   * command's {@code pid-start} ({@link CommandRunner#runInGroup}), or {@code probe-pid} for an
   * agent's probe. A live process of that pid and start time (or one whose start time this
   * system does not tell) is another agent's, between making the cgroup and moving into it.
   */
  static boolean stale(String name) {
    String[] f = name.split("-", -1);
    try {
      if (f.length == 2 && f[0].equals("probe")) {
        return ProcessHandle.of(Long.parseLong(f[1])).isEmpty();
      }
      if (f.length == 2) {
        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(f[0]));
        if (h.isEmpty()) {
          return true;
        }
        String start = CommandRunner.startOf(h.get());
        return !start.equals("?") && !start.equals(f[1]);
      }
    } catch (NumberFormatException e) {
      // not a name this class makes: left alone
    }
    return false;
  }

  /**
   * Puts {@code pid} into a fresh cgroup {@code PREFIX + name}; its children inherit it whatever
   * session or group they make.
   *
   * @return the cgroup, or empty when this containment is {@link #NONE} or the move failed (the
   *     command is then held by its process group only)
   */
  Optional<Path> enter(long pid, String name) {
    if (parent == null) {
      return Optional.empty();
    }
    Path cg = parent.resolve(PREFIX + name);
    try {
      Files.createDirectory(cg);
    } catch (IOException e) {
      return Optional.empty();
    }
    try {
      write(cg.resolve("cgroup.procs"), String.valueOf(pid));
      return Optional.of(cg);
    } catch (IOException e) {
      try {
        Files.delete(cg);
      } catch (IOException ignored) {
        // empty (the move failed), so removable; if not, a later probe removes it
      }
      return Optional.empty();
    }
  }

  /** Whether {@code cg} is a command cgroup this class makes: the only kind ever killed. */
  static boolean isCommandCgroup(Path cg) {
    return cg.isAbsolute() && cg.normalize().equals(cg) && cg.startsWith(CGROUP_FS)
        && cg.getFileName().toString().startsWith(PREFIX);
  }

  /**
   * Kills every process in {@code cg} and removes it: through {@code cgroup.kill} (cgroup v2,
   * Linux 5.14 and later), else frozen (no fork meanwhile), each pid SIGKILLed, thawed, until
   * empty.
   *
   * @return whether the cgroup is gone
   */
  static boolean kill(Path cg) {
    if (!isCommandCgroup(cg)) {
      throw new IllegalArgumentException("not a command cgroup of the agent: " + cg);
    }
    if (!Files.isDirectory(cg)) {
      return true;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Path procs = cg.resolve("cgroup.procs");
    boolean killFile = Files.exists(cg.resolve("cgroup.kill"));
    try {
      if (killFile) {
        write(cg.resolve("cgroup.kill"), "1");
      }
      while (System.nanoTime() < deadline) {
        List<Long> pids = pids(procs);
        if (pids.isEmpty()) {
          break;
        }
        if (!killFile) {
          freeze(cg, true);
          pids(procs).forEach(Containment::sigkill);
          freeze(cg, false); // a frozen process does not die of SIGKILL until thawed
        }
        Thread.sleep(20);
      }
      for (int i = 0; i < 50 && Files.isDirectory(cg); i++) {
        try {
          Files.delete(cg);
        } catch (IOException e) {
          Thread.sleep(20); // the last process is still exiting
        }
      }
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !Files.isDirectory(cg);
  }

  private static void freeze(Path cg, boolean frozen) throws IOException {
    Path v2 = cg.resolve("cgroup.freeze");
    Path v1 = cg.resolve("freezer.state");
    if (Files.exists(v2)) {
      write(v2, frozen ? "1" : "0");
    } else if (Files.exists(v1)) {
      write(v1, frozen ? "FROZEN" : "THAWED");
    }
    // v1 pids: no freezer; the loop kills what was forked meanwhile in the next round
  }

  private static void sigkill(long pid) {
    if (pid != ProcessHandle.current().pid()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static List<Long> pids(Path procs) throws IOException {
    try {
      return Files.readAllLines(procs).stream().map(String::strip).filter(s -> !s.isEmpty())
          .map(Long::valueOf).toList();
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of(); // removed meanwhile
    }
  }

  private static void write(Path file, String value) throws IOException {
    Files.write(file, (value + "\n").getBytes(StandardCharsets.US_ASCII),
        StandardOpenOption.WRITE);
  }
}
