package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Package hooks (issue 14 item 4, docs/FORMAT.md "Package hooks"), the restart's own timeout and
 * the reinstall of the active version (REC-1), against a real server on loopback and a real
 * agent process running as root with {@code hooks.user=nobody}: the hooks are payload files of
 * real signed, scanned bundles. One NE, one step per test, each on what the one before left.
 */
@DisplayName("INT-3 REC-1 package hooks, the restart timeout and the reinstall of the active"
    + " version, on a real agent process")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentHooksTest {
  static AgentFleet fleet;
  static AgentFleet.Ne ne;

  @BeforeAll
  static void start() throws Exception {
    fleet = AgentFleet.start("agent-hooks-test");
    // The hooks run as nobody: it must reach the slots below the test's private directory.
    Files.setPosixFilePermissions(fleet.dir, PosixFilePermissions.fromString("rwx--x--x"));
    ne = fleet.ne("ne-hooks").configure("mme");
    Path restart = ne.home.resolve("restart.sh");
    Files.writeString(restart, "#!/bin/sh\necho \"$NEGUARD_VERSION\" >> "
        + ne.home.resolve("restarts.log") + "\n"
        + "if [ \"$NEGUARD_VERSION\" = 7.0 ]; then sleep 600; fi\necho restarted\n");
    Path check = ne.home.resolve("health.sh");
    Files.writeString(check, "#!/bin/sh\necho healthy $NEGUARD_VERSION\n");
    for (Path p : List.of(restart, check)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    ne.set("service.restart", restart.toString()).set("health.check", check.toString())
        .set("health.timeout", "30s").set("restart.timeout", "3s").set("hooks.timeout", "3s")
        .set("hooks.user", "nobody").start();
    ne.await("enrolled", e -> true);
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "1.0", 1, "mme",
        tree("1.0", null, null)));
    JsonNode t = fleet.finalTarget(fleet.deploy("core", "1.0", ne.id), ne.id);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  /** A payload: {@code lib/core.so} naming the version, and the hooks given (null: none). */
  static Path tree(String version, String pre, String post) throws Exception {
    Path t = Files.createTempDirectory(fleet.dir, "tree-" + version + "-");
    Files.createDirectories(t.resolve("lib"));
    Files.writeString(t.resolve("lib/core.so"), "core " + version + "\n");
    String[][] hooks = {{"pre-activate", pre}, {"post-activate", post}};
    for (String[] h : hooks) {
      if (h[1] != null) {
        Path f = t.resolve(".neguard/hooks/" + h[0]);
        Files.createDirectories(f.getParent());
        Files.writeString(f, "#!/bin/sh\n" + h[1] + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
    return t;
  }

  /** Publishes core VERSION with the hooks given, deploys it, and returns the final target. */
  static JsonNode deploy(String version, String pre, String post) throws Exception {
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", version,
        Integer.parseInt(version.substring(0, version.indexOf('.'))), "mme",
        tree(version, pre, post)));
    return fleet.finalTarget(fleet.deploy("core", version, ne.id), ne.id);
  }

  static String current() throws Exception {
    return Files.readSymbolicLink(ne.install().resolve("current")).toString();
  }

  static JsonNode hookEvent(String hook, String version) throws Exception {
    return ne.await("hook", e -> e.path("hook").asText().equals(hook)
        && e.path("version").asText().equals(version));
  }

  /** Nothing of {@code version} switched to or left on disk; 2.0 active and recorded. */
  static void assertStillOn20(String version) throws Exception {
    assertThat(current()).isEqualTo("versions/core@2.0");
    assertThat(ne.install().resolve("versions/core@" + version)).doesNotExist();
    assertThat(Files.readString(ne.state().resolve("installed.json"))).contains("\"2.0\"");
  }

  @Test
  @Order(1)
  @DisplayName("INT-3 hooks run from the new slot, as hooks.user (nobody), with only the"
      + " minimal environment: pre-activate before the switch, post-activate after it; 2.0"
      + " succeeds")
  void hooks_runAsTheHookUserFromTheSlotWithAMinimalEnvironment() throws Exception {
    JsonNode t = deploy("2.0", "echo uid=$(id -u) pwd=$(pwd) current=$(readlink"
        + " ../../current); env | sort", "echo post $NEGUARD_PREVIOUS_VERSION to"
        + " $NEGUARD_VERSION current=$(readlink ../../current)");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    String slot = ne.install().resolve("versions/core@2.0").toString();
    String pre = hookEvent("pre-activate", "2.0").path("output").asText();
    assertThat(pre).contains("uid=65534").contains("pwd=" + slot)
        .contains("current=versions/core@1.0").contains("NEGUARD_HOOK=pre-activate")
        .contains("NEGUARD_PACKAGE=core").contains("NEGUARD_VERSION=2.0")
        .contains("NEGUARD_PREVIOUS_VERSION=1.0").contains("NEGUARD_SLOT=" + slot)
        .contains("PATH=/usr/local/sbin:").doesNotContain("HOME=").doesNotContain("JAVA")
        .doesNotContain("MAVEN");
    assertThat(hookEvent("post-activate", "2.0").path("output").asText())
        .contains("post 1.0 to 2.0 current=versions/core@2.0");
    assertThat(current()).isEqualTo("versions/core@2.0");
  }

  @Test
  @Order(2)
  @DisplayName("INT-3 a failing pre-activate hook: nothing switched, the new slot removed, the"
      + " target failed HOOK_FAILED with the hook's output, the service never restarted")
  void failingPreActivate_nothingSwitched() throws Exception {
    JsonNode t = deploy("3.0", "echo precheck refused; exit 3", null);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("HOOK_FAILED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("pre-activate hook of core 3.0 failed: exit 3: precheck refused")
        .contains("nothing was switched");
    assertStillOn20("3.0");
    assertThat(Files.readAllLines(ne.home.resolve("restarts.log"))).doesNotContain("3.0");
  }

  @Test
  @Order(3)
  @DisplayName("INT-3 a pre-activate hook that hangs, with a child that left it: the whole"
      + " process group is killed at hooks.timeout, nothing switched, HOOK_FAILED")
  void hangingPreActivate_groupKilledNothingSwitched() throws Exception {
    Instant begun = Instant.now();
    JsonNode t = deploy("4.0", "( sleep 600 & echo child $! ); sleep 600", null);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    String message = t.path("reasons").path(0).path("message").asText();
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("HOOK_FAILED");
    assertThat(message).contains("killed at the timeout");
    Matcher child = Pattern.compile("child ([0-9]+)").matcher(message);
    assertThat(child.find()).as(message).isTrue();
    // The orphaned sleep (not a descendant of the hook any more) went with the group; killed,
    // it stays a zombie until PID 1 reaps it, so give that a moment.
    long pid = Long.parseLong(child.group(1));
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      assertThat(System.nanoTime()).as("the hook's child %s is killed", pid)
          .isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(Duration.between(begun, Instant.now())).isLessThan(Duration.ofSeconds(120));
    assertStillOn20("4.0");
    assertThat(ne.state().resolve("command.pid")).doesNotExist();
  }

  @Test
  @Order(4)
  @DisplayName("INT-3 REC-1 a failing post-activate hook rolls back like a failed health"
      + " check: current back on 2.0, 2.0 restarted, HOOK_FAILED with the output")
  void failingPostActivate_rolledBack() throws Exception {
    JsonNode t = deploy("5.0", null, "echo post refused; exit 4");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("HOOK_FAILED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("rolled back to core 2.0").contains("exit 4: post refused");
    assertThat(current()).isEqualTo("versions/core@2.0");
    assertThat(Files.readString(ne.state().resolve("installed.json"))).contains("\"2.0\"");
    List<String> restarts = Files.readAllLines(ne.home.resolve("restarts.log"));
    assertThat(restarts).doesNotContain("5.0").endsWith("2.0");
  }

  @Test
  @Order(5)
  @DisplayName("INT-3 REC-1 a post-activate hook that hangs is killed at hooks.timeout and"
      + " rolled back to 2.0, HOOK_FAILED")
  void hangingPostActivate_killedAndRolledBack() throws Exception {
    JsonNode t = deploy("6.0", null, "sleep 600");
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("HOOK_FAILED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("rolled back to core 2.0").contains("killed at the timeout");
    assertThat(current()).isEqualTo("versions/core@2.0");
  }

  @Test
  @Order(6)
  @DisplayName("INT-3 REC-1 a service restart that hangs is killed at restart.timeout (3 s),"
      + " not at health.timeout (30 s), and rolled back HEALTH_CHECK_FAILED")
  void hangingRestart_killedAtItsOwnTimeout() throws Exception {
    JsonNode t = deploy("7.0", null, null);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText())
        .isEqualTo("HEALTH_CHECK_FAILED");
    assertThat(t.path("reasons").path(0).path("message").asText())
        .contains("the service restart failed: killed at the timeout");
    // From the RESTARTING journal event (logged once the phase is on disk: an fsync on a loaded
    // machine is no part of the restart) to the restart's end. Both are this order's only ones:
    // the rollback's restart of 2.0 logs service_restarted with version 2.0 and no journal step.
    // A restart killed at health.timeout instead (restart.timeout not read) shows as ~30 s.
    JsonNode restartedEvent = ne.await("service_restarted", e -> e.path("version").asText()
        .equals("7.0"));
    String order = restartedEvent.path("orderId").asText();
    Instant restarting = Instant.parse(ne.await("journal", e -> e.path("orderId").asText()
        .equals(order) && e.path("phase").asText().equals("RESTARTING")).path("ts").asText());
    assertThat(Duration.between(restarting, Instant.parse(restartedEvent.path("ts").asText())))
        .as("killed at restart.timeout (3 s), not at health.timeout (30 s)")
        .isLessThan(Duration.ofSeconds(20));
    assertThat(current()).isEqualTo("versions/core@2.0");
  }

  @Test
  @Order(7)
  @DisplayName("INT-3 a file under .neguard/hooks/ that is not one of the two hooks is refused"
      + " STRUCTURE before extraction: nothing written")
  void unknownHookName_refused() throws Exception {
    Path tree = tree("8.0", null, null);
    Path odd = tree.resolve(".neguard/hooks/pre-install");
    Files.createDirectories(odd.getParent());
    Files.writeString(odd, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(odd, PosixFilePermissions.fromString("rwxr-xr-x"));
    fleet.upload(SignedBundles.build(fleet.dir, fleet.pki, "core", "8.0", 8, "mme", tree));
    JsonNode t = fleet.finalTarget(fleet.deploy("core", "8.0", ne.id), ne.id);
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("failed");
    assertThat(t.path("reasons").path(0).path("code").asText()).isEqualTo("STRUCTURE");
    assertThat(t.path("reasons").path(0).path("message").asText()).contains("pre-install");
    assertStillOn20("8.0");
  }

  /**
   * The recovery of a tampered NE (REC-1): an ordinary deployment is refused once the validation
   * entity's attestation before it (ATT-1) found the tampering and quarantined the NE; a
   * recovery of the same version, approved, reaches it. Returns the recovery's final target.
   */
  static JsonNode recover() throws Exception {
    JsonNode refused = fleet.finalTarget(fleet.deploy("core", "2.0", ne.id), ne.id);
    assertThat(refused.path("reasons").path(0).path("code").asText()).as("%s", refused)
        .isEqualTo("DEVICE_NOT_TRUSTED");
    CliRun create = CliRun.as(fleet.op, "recover", "--ne-type", "mme", "--to", "core@2.0",
        "--device", ne.id, "--json");
    assertThat(create.exit()).as("%s", create).isZero();
    String id = create.json().path("id").asText();
    CliRun ok = CliRun.as(fleet.appr, "deploy", "approve", id, "--json");
    assertThat(ok.exit()).as("%s", ok).isZero();
    return fleet.finalTarget(id, ne.id);
  }

  @Test
  @Order(8)
  @DisplayName("REC-1 INT-3 the active version recovered onto a tampered tree: extracted"
      + " into the slot's other generation, switched, the tampered slot removed;"
      + " verify-installed is clean; a second reinstall goes back to the plain slot name")
  void reinstallOfTheActiveVersion_repairsATamperedTree() throws Exception {
    Path lib = ne.install().resolve("current/lib/core.so");
    Files.writeString(lib, "implant\n", StandardOpenOption.APPEND);
    CliRun dirty = AgentLocalCommandsTest.agent("verify-installed", ne.config);
    assertThat(dirty.exit()).as("%s", dirty).isEqualTo(3);
    assertThat(dirty.out()).contains("lib/core.so");

    JsonNode t = recover();
    assertThat(t.path("state").asText()).as("%s", t).isEqualTo("succeeded");
    assertThat(current()).isEqualTo("versions/core@2.0~1");
    assertThat(ne.install().resolve("versions/core@2.0")).as("the tampered slot removed")
        .doesNotExist();
    assertThat(Files.readSymbolicLink(ne.install().resolve("previous")).toString())
        .as("last-known-good is still 1.0, not the tampered tree").isEqualTo("versions/core@1.0");
    assertThat(ne.state().resolve("manifests/core@2.0")).doesNotExist();
    CliRun clean = AgentLocalCommandsTest.agent("verify-installed", ne.config);
    assertThat(clean.exit()).as("%s", clean).isZero();
    assertThat(Files.readString(lib)).isEqualTo("core 2.0\n");

    Files.writeString(lib, "implant\n", StandardOpenOption.APPEND);
    JsonNode again = recover();
    assertThat(again.path("state").asText()).as("%s", again).isEqualTo("succeeded");
    assertThat(current()).isEqualTo("versions/core@2.0");
    assertThat(ne.install().resolve("versions/core@2.0~1")).doesNotExist();
    assertThat(AgentLocalCommandsTest.agent("verify-installed", ne.config).exit()).isZero();
  }
}
