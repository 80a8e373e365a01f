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
 * the timeout the process and its descendants are killed and the run counts as failed.
 */
public final class CommandRunner {
  /** The most output kept of one run. */
  public static final int MAX_OUTPUT = 8 * 1024;

  /** The outcome of one run: the exit code ({@code -1} when killed at the timeout). */
  public record Result(int exit, boolean timedOut, String output, boolean truncated) {
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
    return run(pb, dir, timeout, null);
  }

  /**
   * Runs {@code command} as the leader of a session and process group of its own ({@code
   * setsid}), with exactly {@code env} (nothing of the agent's environment), for at most {@code
   * timeout}: at the timeout the whole process group is killed, so a child that left its parent
   * (a daemon, a {@code sleep &}) goes too. Before the command starts, its pid and start time
   * are in {@code pidFile}, so that an agent killed meanwhile kills the group at its next start
   * ({@link #killLeftover}): the group's leader is a shell that waits for a line on its standard
   * input, which the agent writes only after the file is in place; an agent killed before that
   * closes the pipe, and the shell exits without running the command.
   */
  public static Result runInGroup(List<String> command, Path dir, Map<String, String> env,
      Duration timeout, Path pidFile) throws IOException {
    List<String> argv = new java.util.ArrayList<>();
    argv.add(program("setsid"));
    argv.addAll(gated(command));
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    pb.environment().putAll(env);
    return run(pb, dir, timeout, pidFile);
  }

  private static Result run(ProcessBuilder pb, Path dir, Duration timeout, Path pidFile)
      throws IOException {
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.redirectErrorStream(true);
    if (pidFile == null) {
      pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    }
    Process p = pb.start();
    try {
      if (pidFile != null) {
        // setsid(1) execs in place (a child of the JVM is no group leader): pid = group id.
        // Whole or absent (a reader never sees it half-written), and in place before the go
        // line: the command never runs unnamed.
        Path tmp = pidFile.resolveSibling(pidFile.getFileName() + ".tmp");
        Files.writeString(tmp, p.pid() + " " + startOf(p.toHandle()) + "\n");
        Files.move(tmp, pidFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (java.io.OutputStream go = p.getOutputStream()) {
          go.write('\n');
        } catch (IOException e) {
          // the gate is gone already (killed): await reports its exit
        }
      }
      return await(p, timeout, pidFile != null);
    } finally {
      if (pidFile != null) {
        p.getOutputStream().close(); // no go line after a failure above: the gate exits
        Files.deleteIfExists(pidFile);
      }
    }
  }

  private static Result await(Process p, Duration timeout, boolean group) {
    Bounded out = new Bounded(p.getInputStream());
    Thread reader = new Thread(out, "neguard-agent-command-output");
    reader.setDaemon(true);
    reader.start();
    boolean done;
    try {
      done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      done = false;
    }
    if (!done) {
      if (group) {
        killGroup(p.pid());
      }
      // Children first (a script's sleep would otherwise keep the output pipe open).
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      reader.join(done ? 2_000 : 500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (reader.isAlive()) {
      try {
        p.getInputStream().close();
      } catch (IOException ignored) {
        // the reader thread ends on the closed stream
      }
    }
    return new Result(done ? p.exitValue() : -1, !done, out.text(), out.truncated());
  }

  /**
   * At start-up: a command group that an agent killed meanwhile left running ({@code pidFile}
   * names it) is killed, and the file removed. A pid that now names another process (its start
   * time differs) is left alone: Linux does not reuse a pid while a group of that id exists, so
   * a leader that is gone still names our group, but a live stranger is not ours.
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
    Files.delete(pidFile);
    long pid;
    try {
      pid = Long.parseLong(f[0]);
    } catch (NumberFormatException e) {
      return java.util.Optional.of("unreadable " + pidFile + ": nothing killed");
    }
    java.util.Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isPresent() && (f.length < 2 || !f[1].equals(startOf(h.get())))) {
      return java.util.Optional.of("process " + pid + " is another process now: left alone");
    }
    killGroup(pid);
    return java.util.Optional.of("process group " + pid + " killed");
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

  private static String startOf(ProcessHandle h) {
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

  /** Keeps the first {@link #MAX_OUTPUT} bytes of a stream, reading and dropping the rest. */
  private static final class Bounded implements Runnable {
    private final InputStream in;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private boolean truncated;

    Bounded(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buf = new byte[4096];
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          synchronized (this) {
            int room = MAX_OUTPUT - kept.size();
            if (n > room) {
              truncated = true;
            }
            kept.write(buf, 0, Math.max(0, Math.min(n, room)));
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
