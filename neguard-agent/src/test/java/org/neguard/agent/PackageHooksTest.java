package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.Sha256;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

@DisplayName("INT-3 package hooks: the manifest rule, the file checked just before it runs, the"
    + " user it runs as, its environment")
class PackageHooksTest {
  @TempDir Path dir;

  static final String SCRIPT = "#!/bin/sh\necho uid=$(id -u); env | sort\n";

  static Manifest manifest(Manifest.FileEntry... files) {
    return new Manifest("neguard-package/1", "core", "2.0", 2, "mme", "ACME",
        "2026-12-04T10:00:00Z", new Manifest.Rim("sha256-tree-v1", "0".repeat(64)),
        List.of(files), List.of());
  }

  static Manifest.FileEntry entry(String path, String mode, String content) {
    byte[] b = content.getBytes(StandardCharsets.UTF_8);
    return new Manifest.FileEntry(path, b.length, mode, Sha256.hex(b));
  }

  static void refused(ReasonCode code, ThrowingCall call) {
    assertThatThrownBy(call::run).isInstanceOf(RefusalException.class)
        .satisfies(e -> assertThat(((RefusalException) e).reasons().get(0).code())
            .isEqualTo(code));
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  /** A slot holding the pre-activate hook with {@link #SCRIPT}, executable. */
  Path slot() throws Exception {
    Path slot = dir.resolve("versions/core@2.0");
    Path hook = slot.resolve(PackageHooks.PRE);
    Files.createDirectories(hook.getParent());
    Files.writeString(hook, SCRIPT);
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
    return slot;
  }

  @Test
  @DisplayName("INT-3 only the two hooks may be under .neguard/hooks/ (any letter case), each"
      + " executable by its owner: else STRUCTURE before anything is extracted")
  void check_onlyTheTwoHooksExecutable() throws Exception {
    PackageHooks.check(manifest(entry(PackageHooks.PRE, "0755", "x"),
        entry(PackageHooks.POST, "0700", "x"), entry(".neguard/other", "0644", "x")));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(".neguard/hooks/pre-install", "0755", "x"))));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(".neguard/Hooks/Pre-Activate", "0755", "x"))));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(PackageHooks.PRE + "/x", "0755", "x"))));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(PackageHooks.POST, "0644", "x"))));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(PackageHooks.PRE, "0775", "x"))));
    refused(ReasonCode.STRUCTURE, () -> PackageHooks.check(manifest(
        entry(PackageHooks.POST, "0757", "x"))));
    refused(ReasonCode.STRUCTURE, () -> Agent.judge(manifest(
        entry(PackageHooks.POST, "0644", "x")), ManifestJudgementTest.order("2.0", false), "mme",
        java.util.Optional.empty()));
  }

  @Test
  @DisplayName("INT-3 the hook as extracted passes; a symbolic link in its place or on the way,"
      + " a directory, a missing file: UNSAFE_PATH; other bytes: DIGEST_MISMATCH; none run")
  void verified_regularSignedFileInsideTheSlotOnly() throws Exception {
    Path slot = slot();
    Manifest.FileEntry e = entry(PackageHooks.PRE, "0755", SCRIPT);
    assertThat(PackageHooks.verified(slot, e)).isEqualTo(slot.resolve(PackageHooks.PRE));

    Path hook = slot.resolve(PackageHooks.PRE);
    Path outside = Files.writeString(dir.resolve("outside.sh"), SCRIPT);
    Files.delete(hook);
    Files.createSymbolicLink(hook, outside);
    refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));

    Files.delete(hook);
    Files.createDirectory(hook);
    refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));
    Files.delete(hook);
    refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));

    // The hooks directory swapped for a link to a directory holding the same bytes.
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("pre-activate"), SCRIPT);
    Path hooksDir = slot.resolve(".neguard/hooks");
    Files.delete(hooksDir);
    Files.createSymbolicLink(hooksDir, elsewhere);
    refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));

    Files.delete(hooksDir);
    Files.createDirectories(hooksDir);
    Files.writeString(hook, SCRIPT + "curl evil\n");
    refused(ReasonCode.DIGEST_MISMATCH, () -> PackageHooks.verified(slot, e));
    Files.writeString(hook, SCRIPT.replace("uid", "UID"));
    refused(ReasonCode.DIGEST_MISMATCH, () -> PackageHooks.verified(slot, e));
  }

  @Test
  @DisplayName("INT-3 a hook, or a directory above it up to the slots' directory, writable by"
      + " group or others or owned by another user (hooks.user could swap it before it"
      + " starts): UNSAFE_PATH, not run")
  void verified_writableByAnotherUser_unsafePath() throws Exception {
    Path slot = slot();
    Manifest.FileEntry e = entry(PackageHooks.PRE, "0755", SCRIPT);
    Path hook = slot.resolve(PackageHooks.PRE);
    for (Path p : List.of(hook, hook.getParent(), slot.resolve(".neguard"), slot,
        slot.getParent())) {
      java.util.Set<java.nio.file.attribute.PosixFilePermission> was =
          Files.getPosixFilePermissions(p);
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
          Files.isDirectory(p) ? "rwxrwxr-x" : "rwxr-xrwx"));
      refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));
      Files.setPosixFilePermissions(p, was);
      assertThat(PackageHooks.verified(slot, e)).isEqualTo(hook);
    }
    assertThat(PackageHooks.runningAsRoot()).as("CI runs the tests as root: chown").isTrue();
    Files.setAttribute(hook.getParent(), "unix:uid", 65534);
    refused(ReasonCode.UNSAFE_PATH, () -> PackageHooks.verified(slot, e));
  }

  @Test
  @DisplayName("INT-3 a root agent never runs a hook as root: without hooks.user HOOK_FAILED,"
      + " with it the hook runs as that user, from the slot, with only the given variables"
      + " (fails unless run as root)")
  void run_asHooksUserWithAMinimalEnvironment() throws Exception {
    assertThat(PackageHooks.runningAsRoot()).as("this test needs root (CI runs as root)")
        .isTrue();
    Path slot = slot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Manifest m = manifest(entry(PackageHooks.PRE, "0755", SCRIPT));
    Map<String, String> env = Map.of("NEGUARD_VERSION", "2.0");
    refused(ReasonCode.HOOK_FAILED, () -> new PackageHooks(new AgentConfig.Hooks(
        Duration.ofSeconds(10), null), dir).run(PackageHooks.PRE, slot, m, env));
    refused(ReasonCode.HOOK_FAILED, () -> new PackageHooks(new AgentConfig.Hooks(
        Duration.ofSeconds(10), "no-such-user-x"), dir).run(PackageHooks.PRE, slot, m, env));

    PackageHooks hooks = new PackageHooks(new AgentConfig.Hooks(Duration.ofSeconds(10),
        "nobody"), dir);
    CommandRunner.Result r = hooks.run(PackageHooks.PRE, slot, m, env).orElseThrow();
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.output()).contains("uid=65534").contains("NEGUARD_HOOK=pre-activate")
        .contains("NEGUARD_VERSION=2.0").contains("PWD=" + slot).doesNotContain("HOME=");
    assertThat(hooks.run(PackageHooks.POST, slot, m, env)).as("no such hook: not run").isEmpty();
    assertThat(dir.resolve(PackageHooks.PID_FILE)).doesNotExist();
  }
}
