package org.neguard.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a configured command (the service restart, the health check) without a shell: the
 * configured line is split on whitespace into the program and its arguments (no quoting, no
 * expansion; a shell only if the line names one, e.g. a script). Standard output and error are
 * captured together, at most {@link #MAX_OUTPUT} bytes kept (the rest is read and dropped); at
 * the timeout the process and its descendants are killed and the run counts as failed. A query
 * whose answer is read ({@link #capture}: rpm) keeps its output apart from its errors.
 */
public final class CommandRunner {
  /** The most output kept of one run. */
  public static final int MAX_OUTPUT = 8 * 1024;

  /**
   * The outcome of one run: the exit code ({@code -1} when killed at the timeout); {@code
   * truncated}: output past the limit was dropped ({@link #run}) or the command killed there
   * ({@link #capture}); {@code errors}: standard error when kept apart ({@link #capture}), else
   * empty.
   */
  public record Result(int exit, boolean timedOut, String output, boolean truncated,
      String errors) {
    public Result(int exit, boolean timedOut, String output, boolean truncated) {
      this(exit, timedOut, output, truncated, "");
    }

    public boolean ok() {
      return !timedOut && exit == 0;
    }

    /** One line for a log or a failure message. */
    public String describe() {
      String out = output.strip();
      return (timedOut ? "killed at the timeout" : "exit " + exit)
          + (out.isEmpty() ? "" : ": " + out) + (truncated ? " [output truncated]" : "");
    }
  }

  /**
   * The group leader's script: {@code exec}s the command (same pid, so the pid file stays true)
   * once the agent sends the go line; at end of input without it, exits 125 and runs nothing.
   */
  private static final String GATE = "IFS= read -r go || exit 125; unset PWD; exec \"$@\"";

  private CommandRunner() {}

  /** {@code command} behind the gate: it runs once a line arrives on standard input. */
  static List<String> gated(List<String> command) {
    List<String> argv = new java.util.ArrayList<>(List.of("/bin/sh", "-c", GATE,
        "neguard-command"));
    argv.addAll(command);
    return argv;
  }

  /** Splits a configured command line on whitespace. */
  public static List<String> split(String line) {
    String s = line == null ? "" : line.strip();
    return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
  }

  /** Runs {@code command} in {@code dir} with {@code env} added, for at most {@code timeout}. */
  public static Result run(List<String> command, Path dir, Map<String, String> env,
      Duration timeout) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    return run(pb, dir, timeout);
  }

  /**
   * Runs {@code command} as the leader of a session and process group of its own ({@code
   * setsid}), with exactly {@code env} (nothing of the agent's environment), for at most {@code
   * timeout}, held by its process group only ({@link Containment#NONE}).
   */
  public static Result runInGroup(List<String> command, Path dir, Map<String, String> env,
      Duration timeout, Path pidFile) throws IOException {
    return runInGroup(command, dir, env, timeout, pidFile, Containment.NONE);
  }

  /**
   * Runs {@code command} as the leader of a session and process group of its own ({@code
   * setsid}), and in a cgroup of its own when {@code containment} has one, with exactly {@code
   * env} (nothing of the agent's environment), for at most {@code timeout}: at the timeout the
   * cgroup's processes and the whole process group are killed, so a child that left its parent
   * (a daemon, a {@code sleep &}) goes too, and with a cgroup also one that left the group
   * ({@code setsid}); after a normal exit, what the command left running is killed the same way.
   * Before the command starts, its pid, start time and cgroup are in {@code pidFile}, and it is in
   * the cgroup, so that an agent killed meanwhile kills it all at its next start ({@link
   * #killLeftover}): the group's leader is a shell that waits for a line on its standard input,
   * which the agent writes only after the file is in place; an agent killed before that closes
   * the pipe, and the shell exits without running the command.
   */
  static Result runInGroup(List<String> command, Path dir, Map<String, String> env,
      Duration timeout, Path pidFile, Containment containment) throws IOException {
    List<String> argv = new java.util.ArrayList<>();
    argv.add(program("setsid"));
    argv.addAll(gated(command));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    pb.environment().putAll(env);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectErrorStream(true);
    Process p = pb.start();
    Path cgroup = null;
    try {
      String start = startOf(p.toHandle());
      // In the cgroup before the go line: everything the command starts is born inside it.
      cgroup = containment.enter(p.pid(), p.pid() + "-" + start).orElse(null);
      // setsid(1) execs in place (a child of the JVM is no group leader): pid = group id.
      // Whole or absent (a reader never sees it half-written), and in place before the go
      // line: the command never runs unnamed.
      Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
      Files.writeString(tmp, p.pid() + " " + start + (cgroup == null ? "" : " " + cgroup)
          + "\n");
      Files.move(tmp, pidFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      try (java.io.OutputStream go = p.getOutputStream()) {
        go.write('\n');
      } catch (IOException e) {
        // the gate is gone already (killed): await reports its exit
      }
      Path cg = cgroup;
      return await(p, timeout, () -> killAll(p.pid(), cg),
          new Bounded(p.getInputStream(), MAX_OUTPUT, null), null);
    } finally {
      p.getOutputStream().close(); // no go line after a failure above: the gate exits
      // Killed (a failure above left the gate in it) and gone before the file that names it:
      // an agent killed in between still finds it.
      if (cgroup == null || Containment.kill(cgroup)) {
        Files.deleteIfExists(pidFile);
      }
    }
  }

  private static Result run(ProcessBuilder pb, Path dir, Duration timeout) throws IOException {
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    return await(p, timeout, null, new Bounded(p.getInputStream(), MAX_OUTPUT, null), null);
  }

  /**
   * Runs {@code command} (a query such as {@code rpm -qa}: no shell, standard input from
   * /dev/null) for at most {@code timeout}, its standard output kept apart from its standard
   * error: at most {@code maxOutput} bytes of output, past which it is killed at once (not
   * waited for: its answer is refused anyway; {@link Result#truncated}), and the first {@link
   * #MAX_OUTPUT} bytes of errors. Both are read on threads of their own, so a command that hangs
   * with its output open (an rpm waiting for a lock) is killed at the timeout all the same.
   */
  public static Result capture(List<String> command, int maxOutput, Duration timeout)
      throws IOException {
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    return await(p, timeout, null, new Bounded(p.getInputStream(), maxOutput, () -> kill(p)),
        new Bounded(p.getErrorStream(), MAX_OUTPUT, null));
  }

  /** Kills {@code p}, children first (a script's sleep would otherwise keep its pipes open). */
  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  /** The cgroup's processes (when there is one), then the process group {@code pgid}. */
  private static void killAll(long pgid, Path cgroup) {
    if (cgroup != null) {
      Containment.kill(cgroup);
    }
    killGroup(pgid);
  }

  /**
   * Waits for {@code p} while {@code out} (and {@code err}, null when merged into it) are read;
   * {@code group} (null for a command without a group of its own) kills what it started: at the
   * timeout, and after a normal exit what it left running.
   */
  private static Result await(Process p, Duration timeout, Runnable group, Bounded out,
      Bounded err) {
    List<Thread> readers = new java.util.ArrayList<>();
    for (Bounded b : err == null ? List.of(out) : List.of(out, err)) {
      Thread reader = new Thread(b, "neguard-agent-command-output");
      reader.setDaemon(true);
      reader.start();
      readers.add(reader);
    }
    boolean done;
    try {
      done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done = false;
    }
    if (group != null) {
      // After a normal exit too: a hook leaves nothing running (docs/AGENT.md "Package hooks").
      group.run();
    }
    if (!done) {
      kill(p);
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Thread reader : readers) {
      try {
        reader.join(done ? 2_000 : 500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (readers.stream().anyMatch(Thread::isAlive)) {
      try {
        p.getInputStream().close();
        p.getErrorStream().close();
      } catch (IOException ignored) {
        // the reader threads end on the closed streams
      }
    }
    return new Result(done ? p.exitValue() : -1, !done, out.text(), out.truncated(),
        err == null ? "" : err.text());
  }

  /**
   * At start-up: a command that an agent killed meanwhile left running ({@code pidFile} names
   * it) is killed, and the file removed. Its cgroup (the third field, when it had one: a file of
   * an older agent has two) is ours whatever runs in it, so everything in it is killed and the
   * cgroup removed. Its process group is killed unless the pid now names another process (its
   * start time differs): Linux does not reuse a pid while a group of that id exists, so a leader
   * that is gone still names our group, but a live stranger is not ours.
   *
   * @return what was done, for the log; empty when there was nothing to do
   */
  public static java.util.Optional<String> killLeftover(Path pidFile) throws IOException {
    // A file the killed agent did not finish: its command never got the go line.
    Files.deleteIfExists(pidFile.resolveSibling(pidFile.getFileName() + ".tmp"));
    if (!Files.exists(pidFile)) {
      return java.util.Optional.empty();
    }
    String[] f = Files.readString(pidFile).strip().split(" ");
    String cgroup = "";
    if (f.length >= 3) {
      Path cg = Path.of(f[2]);
      if (!Containment.isCommandCgroup(cg)) {
        cgroup = "; " + f[2] + " is not a command cgroup of the agent: left alone";
      } else if (Containment.kill(cg)) {
        cgroup = "; cgroup " + cg + " killed and removed";
      } else {
        // The file stays: the next start tries again.
        return java.util.Optional.of("cgroup " + cg + " could not be killed or removed; see"
            + " its cgroup.procs");
      }
    }
    Files.delete(pidFile);
    long pid;
    try {
      pid = Long.parseLong(f[0]);
    } catch (NumberFormatException e) {
      return java.util.Optional.of("unreadable " + pidFile + ": no process group killed"
          + cgroup);
    }
    java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isPresent() && (f.length < 2 || !f[1].equals(startOf(h.get())))) {
      return java.util.Optional.of("process " + pid + " is another process now: left alone"
          + cgroup);
    }
    killGroup(pid);
    return java.util.Optional.of("process group " + pid + " killed" + cgroup);
  }

  /** kill(2) of the process group {@code pgid} with SIGKILL, through kill(1). */
  static void killGroup(long pgid) {
    if (pgid <= 1) {
      throw new IllegalArgumentException("not a process group of ours: " + pgid);
    }
    try {
      Process k = new ProcessBuilder(program("kill"), "-s", "KILL", "--", "-" + pgid)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      k.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // kill(1) missing: the caller still kills the descendants it can see
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A process's start time as the pid file and the cgroup name record it; {@code ?} if unknown. */
  static String startOf(ProcessHandle h) {
    return h.info().startInstant().map(i -> String.valueOf(i.toEpochMilli())).orElse("?");
  }

  /** util-linux's and procps' programs at their Debian paths, else by name from PATH. */
  static String program(String name) {
    for (String d : List.of("/usr/bin/", "/bin/")) {
      if (Files.isExecutable(Path.of(d + name))) {
        return d + name;
      }
    }
    return name;
  }

  /**
   * Keeps the first {@code limit} bytes of a stream; past them, runs {@code atLimit} and stops
   * reading, or without one reads and drops the rest.
   */
  private static final class Bounded implements Runnable {
    private final InputStream in;
    private final int limit;
    private final Runnable atLimit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;

    Bounded(InputStream in, int limit, Runnable atLimit) {
      this.in = in;
      this.limit = limit;
      this.atLimit = atLimit;
    }

    @Override
    public void run() {
      byte[] buf = new byte[4096];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          synchronized (this) {
            int room = limit - kept.size();
            kept.write(buf, 0, Math.max(0, Math.min(n, room)));
            if (n > room) {
              truncated = true;
              if (atLimit != null) {
                atLimit.run();
                return;
              }
            }
          }
        }
      } catch (IOException ignored) {
        // closed: keep what was read
      }
    }

    synchronized String text() {
      return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean truncated() {
      return truncated;
    }
  }
}
