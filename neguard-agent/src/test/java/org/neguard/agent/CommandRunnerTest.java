package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner of the service restart and the health check: no shell, bounded, killed in time. */
class CommandRunnerTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("REC-1 exit 0 passes; a non-zero exit fails; stdout and stderr are captured")
  void exitAndOutput() throws Exception {
    Path ok = script("ok.sh", "echo out; echo err >&2; exit 0");
    CommandRunner.Result r = CommandRunner.run(List.of(ok.toString()), dir, Map.of(),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).contains("out").contains("err");
    Path bad = script("bad.sh", "echo \"unhealthy $NEGUARD_VERSION\"; exit 3");
    r = CommandRunner.run(List.of(bad.toString()), dir, Map.of("NEGUARD_VERSION", "2.0"),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isFalse();
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.describe()).isEqualTo("exit 3: unhealthy 2.0");
  }

  @Test
  @DisplayName("REC-1 a hanging command (and its child) is killed at the timeout and fails")
  void hanging_killedAtTheTimeout() throws Exception {
    Path hang = script("hang.sh", "echo started; sleep 60");
    long t0 = System.nanoTime();
    CommandRunner.Result r = CommandRunner.run(List.of(hang.toString()), dir, Map.of(),
        Duration.ofMillis(500));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).as("returns soon after the timeout").isLessThan(5_000);
    assertThat(r.timedOut()).isTrue();
    assertThat(r.ok()).isFalse();
    assertThat(r.output()).contains("started");
    assertThat(r.describe()).startsWith("killed at the timeout");
  }

  @Test
  @DisplayName("REC-1 INT-3 in a group of its own: at the timeout the whole process group is"
      + " killed, a child that left the command (orphaned, no descendant any more) too; the"
      + " environment is exactly the one given; the pid file is gone after the run")
  void inGroup_groupKilledAtTheTimeout() throws Exception {
    Path pidFile = dir.resolve("command.pid");
    Path hang = script("orphan.sh", "( sleep 600 & echo child $! ); env; sleep 600");
    CommandRunner.Result r = CommandRunner.runInGroup(List.of(hang.toString()), dir,
        Map.of("ONLY", "this"), Duration.ofSeconds(2), pidFile);
    assertThat(r.timedOut()).isTrue();
    assertThat(r.output()).contains("ONLY=this").doesNotContain("HOME=");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("child ([0-9]+)")
        .matcher(r.output());
    assertThat(m.find()).as(r.output()).isTrue();
    long child = Long.parseLong(m.group(1));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)) {
      assertThat(System.nanoTime()).as("orphaned child %s killed", child).isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(pidFile).doesNotExist();
  }

  @Test
  @DisplayName("REC-1 the pid file names the group, whole, before the command runs: the"
      + " command reads its own pid there")
  void inGroup_pidFileInPlaceBeforeTheCommandRuns() throws Exception {
    Path pidFile = dir.resolve("command.pid");
    Path self = script("self.sh", "echo \"file $(cat " + pidFile + ")\"; echo \"self $$\"");
    CommandRunner.Result r = CommandRunner.runInGroup(List.of(self.toString()), dir, Map.of(),
        Duration.ofSeconds(10), pidFile);
    assertThat(r.ok()).as(r.describe()).isTrue();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("self ([0-9]+)")
        .matcher(r.output());
    assertThat(m.find()).as(r.output()).isTrue();
    assertThat(r.output()).contains("file " + m.group(1) + " ");
    assertThat(pidFile).doesNotExist();
    assertThat(dir.resolve("command.pid.tmp")).doesNotExist();
  }

  @Test
  @DisplayName("REC-1 an agent killed between starting the command and writing its pid file"
      + " (its end of the pipe closed, no go line) leaves nothing running: the gate exits 125"
      + " and the command never starts")
  void gate_withoutTheGoLine_commandNeverRuns() throws Exception {
    Path ran = dir.resolve("ran");
    Process p = new ProcessBuilder(CommandRunner.gated(List.of("/usr/bin/touch",
        ran.toString()))).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(125);
    assertThat(ran).doesNotExist();
    Process go = new ProcessBuilder(CommandRunner.gated(List.of("/usr/bin/touch",
        ran.toString()))).start();
    go.getOutputStream().write('\n');
    go.getOutputStream().close();
    assertThat(go.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(go.exitValue()).isZero();
    assertThat(ran).exists();
  }

  @Test
  @DisplayName("REC-1 at start-up the group a killed agent left running (its pid file) is"
      + " killed; a pid file naming a live process of another start time is left alone")
  void killLeftover_killsOurGroupOnly() throws Exception {
    Path pidFile = dir.resolve("command.pid");
    Process p = new ProcessBuilder(CommandRunner.program("setsid"), "sh", "-c",
        "sleep 600 & sleep 600").start();
    long pid = p.pid();
    java.util.List<ProcessHandle> kids = new java.util.ArrayList<>();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (kids.size() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
      kids = p.descendants().toList();
    }
    String start = String.valueOf(p.toHandle().info().startInstant().orElseThrow()
        .toEpochMilli());
    Files.writeString(pidFile, pid + " 1\n"); // another start time: a stranger
    assertThat(CommandRunner.killLeftover(pidFile)).hasValueSatisfying(v -> assertThat(v)
        .contains("left alone"));
    assertThat(p.isAlive()).isTrue();
    Files.writeString(pidFile, pid + " " + start + "\n");
    assertThat(CommandRunner.killLeftover(pidFile)).hasValueSatisfying(v -> assertThat(v)
        .contains("killed"));
    assertThat(p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle k : kids) {
      k.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(pidFile).doesNotExist();
    assertThat(CommandRunner.killLeftover(pidFile)).isEmpty();
  }

  @Test
  @DisplayName("REC-1 INT-3 in a cgroup of its own: a child that left the process group and"
      + " the session (setsid) is killed at the timeout too, and the cgroup removed")
  void inCgroup_escapedSessionKilledAtTheTimeout() throws Exception {
    for (Containment c : everyContainment()) {
      Path pidFile = dir.resolve("command.pid");
      Path hang = script("escape.sh", "setsid sh -c 'echo escaped $$; exec sleep 600' &"
          + " sleep 600");
      CommandRunner.Result r = CommandRunner.runInGroup(List.of(hang.toString()), dir,
          Map.of(), Duration.ofSeconds(2), pidFile, c);
      assertThat(r.timedOut()).as(c.describe()).isTrue();
      awaitKilled(escaped(r.output()), c.describe() + ": " + r.output());
      assertThat(pidFile).doesNotExist();
      assertThat(commandCgroups(c)).as(c.describe()).isEmpty();
    }
  }

  @Test
  @DisplayName("REC-1 INT-3 the pid file names the cgroup and the command runs in it from its"
      + " first instruction; after a normal exit what it left running in a session of its own"
      + " is killed and the cgroup removed")
  void inCgroup_namedBeforeTheCommandRuns_leftoverKilledAfterANormalExit() throws Exception {
    Containment c = containment();
    Path pidFile = dir.resolve("command.pid");
    Path leave = script("leave.sh", "echo \"file $(cat " + pidFile + ")\";"
        + " echo \"in $(grep -h neguard-command /proc/$$/cgroup)\";"
        // Waits until the child has its own session: exits only once it escaped.
        + " setsid sh -c 'echo $$ > escaped; exec sleep 600' > /dev/null &"
        + " while [ ! -s escaped ]; do sleep 0.05; done; echo \"escaped $(cat escaped)\";"
        + " exit 0");
    CommandRunner.Result r = CommandRunner.runInGroup(List.of(leave.toString()), dir, Map.of(),
        Duration.ofSeconds(10), pidFile, c);
    assertThat(r.ok()).as(r.describe()).isTrue();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("file [0-9]+ [0-9]+ (/\\S+)")
        .matcher(r.output());
    assertThat(m.find()).as(r.output()).isTrue();
    Path cg = Path.of(m.group(1));
    assertThat(cg.getFileName().toString()).startsWith(Containment.PREFIX);
    assertThat(r.output()).contains("in ").contains(cg.getFileName().toString() + "\n");
    awaitKilled(escaped(r.output()), r.output());
    assertThat(cg).doesNotExist();
    assertThat(pidFile).doesNotExist();
  }

  @Test
  @DisplayName("REC-1 INT-3 after an agent crash killLeftover finds the cgroup in the pid file"
      + " and kills what escaped the process group (setsid), and removes the cgroup")
  void killLeftover_killsTheCgroupOfACrashedAgent() throws Exception {
    for (Containment c : everyContainment()) {
      killLeftover_killsTheCgroupOfACrashedAgent(c);
    }
  }

  private void killLeftover_killsTheCgroupOfACrashedAgent(Containment c) throws Exception {
    Files.deleteIfExists(dir.resolve("escaped.pid"));
    Path pidFile = dir.resolve("command.pid");
    Path out = dir.resolve("escaped.pid");
    // What runInGroup does up to the go line, with no agent waiting afterwards (it crashed).
    Process p = new ProcessBuilder(java.util.stream.Stream.concat(
        java.util.stream.Stream.of(CommandRunner.program("setsid")),
        CommandRunner.gated(List.of("/bin/sh", "-c", "setsid sh -c 'echo $$ > " + out
            + ".tmp; mv " + out + ".tmp " + out + "; exec sleep 600' & sleep 600")).stream())
        .toList()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String start = String.valueOf(p.toHandle().info().startInstant().orElseThrow()
        .toEpochMilli());
    Path cg = c.enter(p.pid(), p.pid() + "-" + start).orElseThrow();
    Files.writeString(pidFile, p.pid() + " " + start + " " + cg + "\n");
    p.getOutputStream().write('\n');
    p.getOutputStream().close();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!Files.exists(out)) {
      assertThat(System.nanoTime()).as("the escaped process started").isLessThan(deadline);
      Thread.sleep(20);
    }
    long escaped = Long.parseLong(Files.readString(out).strip());
    assertThat(session(escaped)).as("left the group's session").isNotEqualTo(p.pid());
    assertThat(CommandRunner.killLeftover(pidFile)).hasValueSatisfying(v -> assertThat(v)
        .contains("cgroup " + cg + " killed and removed"));
    assertThat(pidFile).doesNotExist();
    assertThat(cg).doesNotExist();
    awaitKilled(escaped, c.describe() + ": escaped");
    assertThat(p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).as("the gate").isTrue();
  }

  @Test
  @DisplayName("REC-1 an agent's start-up probe removes the empty command cgroups of processes"
      + " that are gone, never the one another agent sharing the directory has just made for a"
      + " live command and not yet moved it into")
  void probe_othersFreshCgroupKept_staleOnesRemoved() throws Exception {
    for (Containment c : everyContainment()) {
      Path parent = c.parent().orElseThrow();
      // Another agent's command, between mkdir and the write of its pid to cgroup.procs.
      Process live = new ProcessBuilder("sleep", "600").start();
      try {
        Path fresh = Files.createDirectory(parent.resolve(Containment.PREFIX + live.pid() + "-"
            + CommandRunner.startOf(live.toHandle())));
        Path otherProbe = Files.createDirectory(parent.resolve(Containment.PREFIX + "probe-"
            + live.pid()));
        // Left by agents killed before the move: their processes are gone (or are others now).
        Path gone = Files.createDirectory(parent.resolve(Containment.PREFIX + "999999999-1"));
        Path reused = Files.createDirectory(parent.resolve(Containment.PREFIX + live.pid()
            + "-1"));
        Path goneProbe = Files.createDirectory(parent.resolve(Containment.PREFIX
            + "probe-999999999"));
        try {
          Containment.usable(new java.util.ArrayList<>(), false);
          assertThat(fresh).as(c.describe()).isDirectory();
          assertThat(otherProbe).as(c.describe()).isDirectory();
          assertThat(gone).as(c.describe()).doesNotExist();
          assertThat(reused).as(c.describe()).doesNotExist();
          assertThat(goneProbe).as(c.describe()).doesNotExist();
        } finally {
          for (Path p : List.of(fresh, otherProbe, gone, reused, goneProbe)) {
            Files.deleteIfExists(p);
          }
        }
      } finally {
        live.destroyForcibly().waitFor();
      }
    }
  }

  @Test
  @DisplayName("REC-1 a pid file whose third field is not a command cgroup of the agent kills"
      + " nothing there: only a neguard-command-* directory below /sys/fs/cgroup is ours")
  void killLeftover_foreignCgroupPath_leftAlone() throws Exception {
    Path pidFile = dir.resolve("command.pid");
    Path foreign = Files.createDirectory(dir.resolve(Containment.PREFIX + "x"));
    Files.writeString(foreign.resolve("cgroup.procs"), ProcessHandle.current().pid() + "\n");
    Files.writeString(pidFile, "999999999 1 " + foreign + "\n");
    assertThat(CommandRunner.killLeftover(pidFile)).hasValueSatisfying(v -> assertThat(v)
        .contains(foreign + " is not a command cgroup of the agent: left alone"));
    assertThat(foreign).exists();
    assertThat(pidFile).doesNotExist();
  }

  /** This machine's containment; the cgroup tests need root (CI runs them as root). */
  private static Containment containment() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(PackageHooks.runningAsRoot(),
        "cgroups need root here");
    Containment c = Containment.detect();
    assertThat(c.active()).as(c.describe()).isTrue();
    return c;
  }

  /**
   * Every mechanism that works here (this machine, a cgroup v1/v2 hybrid: v2, v1 freezer, v1
   * pids), each tested, not only the one the agent picks.
   */
  private static List<Containment> everyContainment() throws Exception {
    containment();
    List<String> tried = new java.util.ArrayList<>();
    List<Containment> all = Containment.usable(tried, false);
    assertThat(all).as("%s", tried).isNotEmpty();
    return all;
  }

  private static List<Path> commandCgroups(Containment c) throws Exception {
    try (var s = Files.list(c.parent().orElseThrow())) {
      return s.filter(p -> p.getFileName().toString().startsWith(Containment.PREFIX)).toList();
    }
  }

  private static long escaped(String output) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("escaped ([0-9]+)")
        .matcher(output);
    assertThat(m.find()).as(output).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** The session id of {@code pid} (/proc/PID/stat, the fourth field after the name). */
  private static long session(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[3]);
  }

  private static void awaitKilled(long pid, String what) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        throw new AssertionError("process " + pid + " survived: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  @DisplayName("REC-1 output beyond 8 KiB is dropped (the process still runs to its end)")
  void output_bounded() throws Exception {
    Path loud = script("loud.sh", "head -c 1000000 /dev/zero | tr '\\\\0' x; exit 0");
    CommandRunner.Result r = CommandRunner.run(List.of(loud.toString()), dir, Map.of(),
        Duration.ofSeconds(10));
    assertThat(r.ok()).isTrue();
    assertThat(r.output()).hasSize(CommandRunner.MAX_OUTPUT);
    assertThat(r.truncated()).isTrue();
  }

  @Test
  @DisplayName("a configured line is split on whitespace, no shell: a metacharacter is an"
      + " argument")
  void split_noShell() throws Exception {
    assertThat(CommandRunner.split("  systemctl  restart\tmme.service ")).containsExactly(
        "systemctl", "restart", "mme.service");
    assertThat(CommandRunner.split(null)).isEmpty();
    CommandRunner.Result r = CommandRunner.run(CommandRunner.split("echo a;b $HOME"), dir,
        Map.of(), Duration.ofSeconds(10));
    assertThat(r.output().strip()).isEqualTo("a;b $HOME");
  }

  private Path script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    p.toFile().setExecutable(true);
    return p;
  }
}
