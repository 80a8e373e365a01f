package org.neguard.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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

  private CommandRunner() {}

  /** Splits a configured command line on whitespace. */
  public static List<String> split(String line) {
    String s = line == null ? "" : line.strip();
    return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
  }

  /** Runs {@code command} in {@code dir} with {@code env} added, for at most {@code timeout}. */
  public static Result run(List<String> command, Path dir, Map<String, String> env,
      Duration timeout) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
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
