package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Crash safety (issue 14 item 6): the agent, a real process, is killed with SIGKILL in each step
 * of an upgrade from core 1.0 to core 2.0, then started again. The windows are real: a bundle of
 * 30 MB (download, verification, extraction take a visible time) and, for the steps after the
 * switch, a service restart or health check that take seconds for 2.0. The test watches the
 * agent's {@code journal} events (each written before its step starts), kills the process the
 * moment the step begins, and checks the journal on disk still names that step (so the kill
 * landed in it). After the restart: exactly one version whole and active, installed.json agreeing
 * with {@code current}, no temporary directory, and the server told the truth.
 */
@DisplayName("INT-3 REC-1 kill -9 of the agent in each step of an upgrade: after a restart"
    + " exactly the old or the new version is whole and active and the server is told the"
    + " truth")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentCrashTest {
  static AgentFleet fleet;
  static Path tree1;
  static Path tree2;
  /**
   * core 3.0: with a pre-activate and a post-activate hook, each slow while {@link #slow} with
   * its name appended exists ({@code slow-hooks-pre-activate}).
   */
  static Path tree3;
  static Path slow;
  /** The NEs of the tests, each on core 1.0 before its test, by id. */
  static final java.util.Map<String, AgentFleet.Ne> nes = new java.util.HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-crash-test");
    // The hooks run as nobody (hooks.user): it must reach the slots and the marker below.
    Files.setPosixFilePermissions(fleet.dir, PosixFilePermissions.fromString("rwx--x--x"));
    tree1 = tree("core@1.0", 1, 20_000);
    tree2 = tree("core@2.0", 6, 5_000_000);
    tree3 = tree("core@3.0", 1, 20_000);
    slow = fleet.dir.resolve("slow-hooks");
    for (String hook : List.of("pre-activate", "post-activate")) {
      Path h = tree3.resolve(".neguard/hooks/" + hook);
      Files.createDirectories(h.getParent());
      Files.writeString(h, "#!/bin/sh\nif [ -e " + slow + "-" + hook + " ]; then sleep 30; fi\n"
          + "echo " + hook + " done\n");
      Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "1.0", 1, "mme", tree1));
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "2.0", 2, "mme", tree2));
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "3.0", 3, "mme", tree3));
    // Every NE of the class on core 1.0 at once: one deployment to all of them.
    List<String> more = new ArrayList<>();
    for (String[] n : new String[][] {{"ne-dl", "0", "0"}, {"ne-vf", "0", "0"},
        {"ne-ex", "0", "0"}, {"ne-sw", "10", "0"}, {"ne-hc", "0", "10"},
        {"ne-st", "0", "0"}, {"ne-pre", "0", "0"}, {"ne-post", "0", "0"}}) {
      nes.put(n[0], configured(n[0], Integer.parseInt(n[1]), Integer.parseInt(n[2])));
      if (!n[0].equals("ne-dl")) {
        more.addAll(List.of("--device", n[0]));
      }
    }
    for (AgentFleet.Ne ne : nes.values()) {
      ne.start();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300); // eight JVMs starting
    for (AgentFleet.Ne ne : nes.values()) {
      while (!ne.eventNames().contains("enrolled")) {
        assertThat(System.nanoTime()).as("%s enrolls; log:\n%s", ne.id,
            Files.readString(ne.log)).isLessThan(deadline);
        Thread.sleep(200);
      }
    }
    String dep = fleet.deploy("core", "1.0", "ne-dl", more.toArray(String[]::new));
    for (AgentFleet.Ne ne : nes.values()) {
      JsonNode t = reportedTarget(ne, dep);
      assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
      assertWhole(ne, "1.0", tree1, false);
      ne.stop(); // started again by its test: six idle agents would slow the others down
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  /** A payload of {@code files} random files of {@code size} bytes under {@code lib/}. */
  static Path tree(String name, int files, int size) throws IOException {
    Path t = fleet.dir.resolve("tree-" + name);
    Files.createDirectories(t.resolve("lib"));
    Random r = new Random(name.hashCode());
    for (int i = 0; i < files; i++) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      Files.write(t.resolve("lib/part" + i + ".so"), b);
    }
    return t;
  }

  /**
   * An NE (started) whose restart and health-check scripts log each run and take
   * {@code restartSlow} and {@code checkSlow} seconds for core 2.0 (a real window for the kill).
   */
  static AgentFleet.Ne configured(String id, int restartSlow, int checkSlow) throws Exception {
    AgentFleet.Ne ne = fleet.ne(id).configure("mme");
    Path restarts = ne.home.resolve("restarts.log");
    Path restart = ne.home.resolve("restart.sh");
    Files.writeString(restart, "#!/bin/sh\necho \"$NEGUARD_VERSION\" >> " + restarts + "\n"
        + "if [ \"$NEGUARD_VERSION\" = 2.0 ]; then sleep " + restartSlow + "; fi\n"
        + "echo restarted $NEGUARD_VERSION\n");
    Path check = ne.home.resolve("health.sh");
    Files.writeString(check, "#!/bin/sh\n"
        + "if [ \"$NEGUARD_VERSION\" = 2.0 ]; then sleep " + checkSlow + "; fi\n"
        + "echo healthy $NEGUARD_VERSION\n");
    for (Path p : List.of(restart, check)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ne.set("service.restart", restart.toString()).set("health.check", check.toString())
        .set("health.timeout", "20s").set("hooks.user", "nobody").set("hooks.timeout", "60s")
        // No port and package inventory: not what these tests prove, and each start's scan of
        // /proc and the dpkg database takes CPU from the steps being timed and killed.
        .set("inventory.interval", "0");
    return ne;
  }

  /**
   * Waits for the agent's {@code journal} event of {@code phase} (reading its log as it grows
   * from byte {@code from}, every 2 ms) and kills it with SIGKILL at once; then checks that the journal on disk still
   * names that phase: the kill landed inside the step.
   */
  static void killAt(AgentFleet.Ne ne, String phase, long from) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180); // a loaded machine
    long offset = from;
    StringBuilder pending = new StringBuilder();
    try (RandomAccessFile f = new RandomAccessFile(ne.log.toFile(), "r")) {
      outer:
      while (true) {
        long len = f.length();
        if (len > offset) {
          byte[] b = new byte[(int) (len - offset)];
          f.seek(offset);
          f.readFully(b);
          offset = len;
          pending.append(new String(b, StandardCharsets.UTF_8));
          int nl;
          while ((nl = pending.indexOf("\n")) >= 0) {
            String line = pending.substring(0, nl);
            pending.delete(0, nl + 1);
            if (line.contains("\"event\":\"journal\"")
                && line.contains("\"phase\":\"" + phase + "\"")
                && line.contains("\"orderId\"")) {
              if (phase.equals("EXTRACTING")) {
                // The phase is journaled just before the temporary slot is created: kill once
                // the payload is being written, so that a half-written slot is left behind.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (tmpDirs(ne).isEmpty() && System.nanoTime() < until) {
                  Thread.onSpinWait();
                }
              }
              if (phase.endsWith("_ACTIVATE")) {
                // Journaled just before the hook starts: kill once it runs (named by its pid
                // file, and past the gate: its sleep started).
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!hookRunning(ne) && System.nanoTime() < until) {
                  Thread.sleep(1);
                }
              }
              ne.kill();
              break outer;
            }
          }
        }
        assertThat(System.nanoTime()).as("%s: no journal event %s; log:\n%s", ne.id, phase,
            Files.readString(ne.log)).isLessThan(deadline);
        Thread.sleep(2);
      }
    }
    JsonNode j = AgentFleet.JSON.readTree(ne.state().resolve("journal.json").toFile());
    assertThat(j.path("phase").asText()).as("killed inside the step: %s", j).isEqualTo(phase);
  }

  /**
   * The version {@code current} names is whole (every file's bytes, no extra file),
   * installed.json agrees, and (unless {@code leftoversAllowed}: right after a kill, before the
   * restart cleans up) nothing temporary is left, no slot and no download.
   */
  static void assertWhole(AgentFleet.Ne ne, String version, Path tree, boolean leftoversAllowed)
      throws IOException {
    Path current = ne.install().resolve("current");
    assertThat(Files.readSymbolicLink(current).toString()).isEqualTo("versions/core@" + version);
    List<String> expected = new ArrayList<>();
    try (Stream<Path> s = Files.walk(tree)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String rel = tree.relativize(p).toString();
        expected.add(rel);
        assertThat(Files.mismatch(p, current.resolve(rel))).as("%s of %s", rel, version)
            .isEqualTo(-1L);
      }
    }
    try (Stream<Path> s = Files.walk(current.toRealPath())) {
      assertThat(s.filter(Files::isRegularFile).count()).as("no extra file")
          .isEqualTo(expected.size());
    }
    if (!leftoversAllowed) {
      assertThat(tmpDirs(ne)).isEmpty();
      // The order is over, whichever way: its bundle goes, after a crash at any step too.
      AgentAttackTest.assertNoDownload(ne);
    }
    JsonNode installed = AgentFleet.JSON.readTree(ne.state().resolve("installed.json")
        .toFile());
    assertThat(installed.path("version").asText()).as("installed.json agrees with current")
        .isEqualTo(version);
  }

  static List<String> tmpDirs(AgentFleet.Ne ne) throws IOException {
    try (Stream<Path> s = Files.list(ne.install().resolve("versions"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(".tmp-") || n.startsWith(".old-")).toList();
    }
  }

  /**
   * The server's target of {@code ne} in {@code deployment} once final, asked once the agent
   * logged its report (so the agent's work is not slowed by the test's polling).
   */
  static JsonNode reportedTarget(AgentFleet.Ne ne, String deployment) throws Exception {
    ne.awaitReported(deployment);
    return fleet.finalTarget(deployment, ne.id);
  }

  /** The journal after recovery: the order done and its outcome taken by the server. */
  static void assertOutcomeTaken(AgentFleet.Ne ne, String status) throws Exception {
    ne.await("reported", e -> e.path("status").asText().equals(status));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      JsonNode j = AgentFleet.JSON.readTree(ne.state().resolve("journal.json").toFile());
      if (j.path("acked").asBoolean()) {
        assertThat(j.path("phase").asText()).isEqualTo("DONE");
        assertThat(j.path("outcome").path("status").asText()).isEqualTo(status);
        return;
      }
      assertThat(System.nanoTime()).as("%s", j).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /** Killed before the switch: the restart resumes the order from its verification. */
  static void killedBeforeSwitch_newVersionInstalled(String id, String phase) throws Exception {
    killedBeforeSwitch_newVersionInstalled(id, phase, "2.0", tree2);
  }

  static void killedBeforeSwitch_newVersionInstalled(String id, String phase, String version,
      Path tree) throws Exception {
    AgentFleet.Ne ne = nes.get(id).start();
    ne.await("identity_loaded", e -> true);
    long from = Files.size(ne.log);
    String dep = fleet.deploy("core", version, id);
    killAt(ne, phase, from);
    // Nothing active changed: 1.0 is whole and current.
    assertWhole(ne, "1.0", tree1, true);
    if (phase.equals("EXTRACTING")) {
      assertThat(tmpDirs(ne)).as("killed with a half-written slot").isNotEmpty();
    }
    ne.start();
    JsonNode t = reportedTarget(ne, dep);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    ne.await("recovering", e -> e.path("phase").asText().equals(phase));
    assertWhole(ne, version, tree, false);
    assertThat(Files.readSymbolicLink(ne.install().resolve("previous")).toString())
        .isEqualTo("versions/core@1.0");
    assertThat(fleet.device(id).path("installed").toString()).contains("\"" + version + "\"");
    assertOutcomeTaken(ne, "succeeded");
    ne.stop();
  }

  @Test
  @Order(1)
  @DisplayName("INT-3 REC-1 kill -9 during the download: after the restart the order is"
      + " verified and carried out again, core 2.0 whole and active, the target succeeded")
  void killDuringDownload_resumedAndInstalled() throws Exception {
    killedBeforeSwitch_newVersionInstalled("ne-dl", "DOWNLOADING");
  }

  @Test
  @Order(2)
  @DisplayName("INT-3 REC-1 kill -9 during the bundle's verification: core 1.0 stays whole"
      + " and active; after the restart 2.0 is verified again and installed, the target"
      + " succeeded")
  void killDuringVerification_resumedAndInstalled() throws Exception {
    killedBeforeSwitch_newVersionInstalled("ne-vf", "VERIFYING");
  }

  @Test
  @Order(3)
  @DisplayName("INT-3 REC-1 kill -9 during the extraction: the half-written .tmp slot is removed"
      + " at start-up, 1.0 never stopped being whole; after the restart 2.0 is installed, the"
      + " target succeeded")
  void killDuringExtraction_tmpRemovedAndInstalled() throws Exception {
    killedBeforeSwitch_newVersionInstalled("ne-ex", "EXTRACTING");
  }

  /**
   * Killed after the switch, before the health check confirmed 2.0: the restart rolls back to
   * 1.0 (current, previous, installed.json), restarts 1.0 and reports AGENT_INTERRUPTED.
   */
  static void killedAfterSwitch_rolledBack(String id, String phase) throws Exception {
    killedAfterSwitch_rolledBack(id, phase, "2.0");
  }

  static void killedAfterSwitch_rolledBack(String id, String phase, String version)
      throws Exception {
    AgentFleet.Ne ne = nes.get(id).start();
    ne.await("identity_loaded", e -> true);
    long from = Files.size(ne.log);
    String dep = fleet.deploy("core", version, id);
    killAt(ne, phase, from);
    assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
        .as("killed with the unconfirmed version active").isEqualTo("versions/core@" + version);
    ne.start();
    JsonNode t = reportedTarget(ne, dep);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("AGENT_INTERRUPTED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("interrupted after the switch to core " + version)
        .contains("rolled back to core 1.0");
    assertWhole(ne, "1.0", tree1, false);
    assertThat(ne.install().resolve("previous")).as("previous as before the switch")
        .doesNotExist();
    assertThat(Files.readAllLines(ne.home.resolve("restarts.log")))
        .as("1.0 restarted after the rollback").endsWith("1.0");
    assertThat(fleet.device(id).path("installed").toString()).contains("\"1.0\"")
        .doesNotContain("\"" + version + "\"");
    assertThat(Files.readString(ne.state().resolve("last-result.json")))
        .contains("AGENT_INTERRUPTED");
    assertOutcomeTaken(ne, "failed");
    ne.stop();
  }

  @Test
  @Order(4)
  @DisplayName("INT-3 REC-1 kill -9 right after the switch, while 2.0's service restart runs:"
      + " the restart rolls back to 1.0 (current, installed.json), restarts 1.0, and the target"
      + " fails AGENT_INTERRUPTED")
  void killDuringRestartAfterSwitch_rolledBack() throws Exception {
    killedAfterSwitch_rolledBack("ne-sw", "RESTARTING");
  }

  @Test
  @Order(5)
  @DisplayName("INT-3 REC-1 kill -9 during 2.0's health check: 2.0 was never confirmed, so the"
      + " restart rolls back to 1.0 and the target fails AGENT_INTERRUPTED (never succeeded"
      + " unchecked)")
  void killDuringHealthCheck_rolledBack() throws Exception {
    killedAfterSwitch_rolledBack("ne-hc", "HEALTH_CHECKING");
  }

  /** Whether the hook the pid file names has started its {@code sleep}. */
  static boolean hookRunning(AgentFleet.Ne ne) throws IOException {
    long pid;
    try {
      pid = Long.parseLong(Files.readString(ne.state().resolve("command.pid")).strip()
          .split(" ")[0]);
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
    return ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants)
        .anyMatch(h -> h.info().command().orElse("").endsWith("/sleep"));
  }

  /**
   * The hook the killed agent left running (its pid file names it, still alive after the kill)
   * is killed with its group at the restart, before anything else.
   */
  static void assertLeftoverHookKilled(AgentFleet.Ne ne, long pid) throws Exception {
    ne.await("recovery_killed", e -> e.path("message").asText().contains("group " + pid));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      assertThat(System.nanoTime()).as("hook %s killed", pid).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  /**
   * Deploys core 3.0 to {@code id} with its hooks slow, kills the agent while the hook of
   * {@code phase} runs, and returns the deployment and the hook's pid, alive after the kill.
   */
  static Object[] killedInHook(String id, String phase) throws Exception {
    Path marker = fleet.dir.resolve(slow.getFileName() + "-" + phase.toLowerCase(
        java.util.Locale.ROOT).replace('_', '-'));
    Files.writeString(marker, "");
    AgentFleet.Ne ne = nes.get(id).start();
    ne.await("identity_loaded", e -> true);
    long from = Files.size(ne.log);
    String dep = fleet.deploy("core", "3.0", ne.id);
    killAt(ne, phase, from);
    long pid = Long.parseLong(Files.readString(ne.state().resolve("command.pid")).strip()
        .split(" ")[0]);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the hook outlives the agent's kill").isTrue();
    Files.deleteIfExists(marker);
    return new Object[] {dep, pid};
  }

  @Test
  @Order(7)
  @DisplayName("INT-3 REC-1 kill -9 during the package's pre-activate hook: the hook left"
      + " running is killed at the restart, nothing had been switched (1.0 whole), and the"
      + " order carried out again installs core 3.0, hooks and all")
  void killDuringPreActivateHook_hookKilledAndInstalled() throws Exception {
    Object[] killed = killedInHook("ne-pre", "PRE_ACTIVATE");
    String dep = (String) killed[0];
    AgentFleet.Ne ne = nes.get("ne-pre");
    assertWhole(ne, "1.0", tree1, true);
    ne.start();
    assertLeftoverHookKilled(ne, (Long) killed[1]);
    JsonNode t = reportedTarget(ne, dep);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertWhole(ne, "3.0", tree3, false);
    assertOutcomeTaken(ne, "succeeded");
    ne.stop();
  }

  @Test
  @Order(8)
  @DisplayName("INT-3 REC-1 kill -9 during the package's post-activate hook (after the"
      + " switch): the hook is killed at the restart, 1.0 is back and restarted, the target"
      + " fails AGENT_INTERRUPTED")
  void killDuringPostActivateHook_hookKilledAndRolledBack() throws Exception {
    Object[] killed = killedInHook("ne-post", "POST_ACTIVATE");
    String dep = (String) killed[0];
    AgentFleet.Ne ne = nes.get("ne-post");
    assertThat(Files.readSymbolicLink(ne.install().resolve("current")).toString())
        .isEqualTo("versions/core@3.0");
    ne.start();
    assertLeftoverHookKilled(ne, (Long) killed[1]);
    JsonNode t = reportedTarget(ne, dep);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("AGENT_INTERRUPTED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("interrupted after the switch to core 3.0 (post_activate)");
    assertWhole(ne, "1.0", tree1, false);
    assertOutcomeTaken(ne, "failed");
    ne.stop();
  }

  @Test
  @Order(6)
  @DisplayName("INT-3 REC-1 a stale order: the agent is killed mid-download, the order's"
      + " validity ends while it is down; restarted, it never installs it: ORDER_VALIDITY"
      + " reported, the download removed, 1.0 whole, the server's target not succeeded")
  void orderExpiredWhileDown_neverInstalled() throws Exception {
    AgentFleet.Ne ne = nes.get("ne-st").start();
    ne.await("identity_loaded", e -> true);
    Instant expires = Instant.now().plusSeconds(12).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    long from = Files.size(ne.log);
    String dep = fleet.deploy("core", "2.0", ne.id, "--expires", expires.toString());
    killAt(ne, "DOWNLOADING", from);
    JsonNode j = AgentFleet.JSON.readTree(ne.state().resolve("journal.json").toFile());
    assertThat(Instant.parse(j.path("order").path("notAfter").asText())).isEqualTo(expires);
    while (Instant.now().isBefore(expires.plusSeconds(1))) {
      Thread.sleep(200);
    }
    int before = ne.events().size();
    ne.start();
    JsonNode refused = ne.await("refused", e -> true);
    assertThat(refused.path("codes").asText()).isEqualTo("ORDER_VALIDITY");
    assertThat(refused.path("message").asText()).contains("expired").contains("nothing of it"
        + " was installed");
    // The server had voided the order: it answers the report with its own final word.
    ne.await("report_refused", e -> e.path("httpStatus").asInt() / 100 == 4);
    assertThat(Files.readString(ne.state().resolve("last-result.json")))
        .contains("ORDER_VALIDITY").contains("failed");
    assertWhole(ne, "1.0", tree1, false);
    assertThat(ne.install().resolve("versions/core@2.0")).doesNotExist();
    try (Stream<Path> s = Files.list(ne.state().resolve("download"))) {
      assertThat(s.toList()).as("the stale download removed").isEmpty();
    }
    List<String> after = ne.eventNames();
    assertThat(after.subList(before, after.size())).as("nothing of the stale order done")
        .doesNotContain("order_verified", "downloaded", "verified_extracted", "activated");
    // The deployment ended expired (the status command exits 3 saying so), the target with it.
    CliRun s = CliRun.as(fleet.op, "deploy", "status", dep, "--targets", "--json");
    JsonNode target = s.json().path("targets").path(0);
    assertThat(target.path("state").asText()).as("%s", s.json()).isIn("cancelled", "failed");
    assertThat(fleet.device(ne.id).path("installed").toString()).contains("\"1.0\"")
        .doesNotContain("\"2.0\"");
    ne.stop();
  }
}
