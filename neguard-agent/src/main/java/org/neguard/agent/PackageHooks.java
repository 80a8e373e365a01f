package org.neguard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.neguard.measure.Sha256;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Package hooks (docs/FORMAT.md "Package hooks", docs/AGENT.md): two payload files at fixed
 * paths, {@code .neguard/hooks/pre-activate} and {@code .neguard/hooks/post-activate}, covered by
 * the manifest's digests and the vendor's signature like any file. They run only after the whole
 * verification and the extraction, from the new slot, each in a process group (and, where the NE
 * allows, a cgroup: {@link Containment}) of its own with a minimal environment, killed with the
 * group and the cgroup at {@code hooks.timeout}; as {@code hooks.user} when the agent runs as
 * root.
 */
final class PackageHooks {
  static final String DIR = ".neguard/hooks/";
  static final String PRE = DIR + "pre-activate";
  static final String POST = DIR + "post-activate";
  /** The file that names a hook's process group while it runs (state directory). */
  static final String PID_FILE = "command.pid";
  private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final AgentConfig.Hooks config;
  private final Path pidFile;
  private final Containment containment;

  PackageHooks(AgentConfig.Hooks config, Path stateDir) {
    this(config, stateDir, Containment.NONE);
  }

  PackageHooks(AgentConfig.Hooks config, Path stateDir, Containment containment) {
    this.config = config;
    this.pidFile = stateDir.resolve(PID_FILE);
    this.containment = containment;
  }

  /** What holds a hook's processes (the start-up event {@code hook_containment}). */
  Containment containment() {
    return containment;
  }

  Path pidFile() {
    return pidFile;
  }

  /**
   * The manifest rule, judged with the rest of the manifest before anything is extracted: a path
   * under {@code .neguard/hooks/} (in any letter case: a vendor's {@code Pre-Activate} would
   * otherwise be silently never run) is one of the two hooks exactly, and executable by its owner.
   */
  static void check(Manifest m) throws RefusalException {
    for (Manifest.FileEntry f : m.files()) {
      if (!f.path().toLowerCase(Locale.ROOT).startsWith(DIR)) {
        continue;
      }
      if (!f.path().equals(PRE) && !f.path().equals(POST)) {
        throw RefusalException.about(ReasonCode.STRUCTURE, f.path(), "'" + f.path() + "' is"
            + " under " + DIR + " but is not a hook: only " + PRE + " and " + POST + " are;"
            + " the vendor must rename or move it");
      }
      if ((f.modeBits() & 0100) == 0) {
        throw RefusalException.about(ReasonCode.STRUCTURE, f.path(), "the hook " + f.path()
            + " has mode " + f.mode() + ": a hook must be executable by its owner");
      }
      // Writable by hooks.user (or anyone) on the NE, it could be another program by the time
      // it runs; the slot's files get the manifest's modes.
      if ((f.modeBits() & 0022) != 0) {
        throw RefusalException.about(ReasonCode.STRUCTURE, f.path(), "the hook " + f.path()
            + " has mode " + f.mode() + ": a hook must not be writable by group or others;"
            + " the vendor must package it with mode 0755 or stricter");
      }
    }
  }

  /** The name the environment and the log give a hook: {@code pre-activate}. */
  static String name(String hook) {
    return hook.substring(DIR.length());
  }

  /**
   * Runs {@code hook} of the slot if its manifest lists it.
   *
   * @param env NEGUARD_PACKAGE, NEGUARD_VERSION, NEGUARD_PREVIOUS_VERSION, NEGUARD_SLOT
   * @return the run, or empty when the package has no such hook
   * @throws RefusalException the hook is not run: UNSAFE_PATH when it is not a regular file
   *     inside the slot (a symbolic link on the way or in its place, a directory);
   *     DIGEST_MISMATCH when its bytes are not the signed ones any more; HOOK_FAILED when the
   *     agent runs as root without {@code hooks.user}, or cannot become that user
   */
  Optional<CommandRunner.Result> run(String hook, Path slot, Manifest m, Map<String, String> env)
      throws IOException, RefusalException {
    Optional<Manifest.FileEntry> entry = m.files().stream()
        .filter(f -> f.path().equals(hook)).findFirst();
    if (entry.isEmpty()) {
      return Optional.empty();
    }
    // The user first (it asks id(1)): the check of the file is the last thing before it runs.
    List<String> command = new ArrayList<>(asUser(hook));
    Path file = verified(slot, entry.get());
    command.add(file.toString());
    Map<String, String> vars = new LinkedHashMap<>(env);
    vars.put("NEGUARD_HOOK", name(hook));
    vars.put("PATH", PATH);
    return Optional.of(CommandRunner.runInGroup(command, slot, vars, config.timeout(),
        pidFile, containment));
  }

  /**
   * The hook's file, checked just before it runs: inside the slot with no symbolic link on the
   * way ({@link Slots#inside}), a regular file itself (not followed), it and every directory up
   * to the slots' directory owned by the agent's user and writable by nobody else (else
   * hooks.user, or anyone, could swap it between this check and its start), and still the
   * signed bytes (a change after the extraction is refused, not run).
   */
  static Path verified(Path slot, Manifest.FileEntry entry) throws IOException,
      RefusalException {
    Path file = Slots.inside(slot, entry.path());
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry.path(), "the hook "
          + entry.path() + " is missing from " + slot);
    }
    if (!a.isRegularFile()) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry.path(), "the hook "
          + entry.path() + " in " + slot + " is not a regular file (a symbolic link, a"
          + " directory or a device): it is not run");
    }
    Object me = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    for (Path p = file; p != null; p = p.getParent()) {
      Object owner = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if (!owner.equals(me) || (mode & 0022) != 0) {
        throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry.path(), "the hook "
            + entry.path() + " is not run: " + p + " is owned by uid " + owner + " with mode "
            + String.format("%04o", mode & 07777) + "; it and the directories above it up to "
            + slot.getParent() + " must belong to the agent's user (uid " + me + ") and be"
            + " writable by nobody else (run the agent with umask 022)");
      }
      if (p.equals(slot.getParent())) {
        break;
      }
    }
    MessageDigest sha = Sha256.newDigest();
    long size = 0;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] b = new byte[64 * 1024];
      int n;
      while ((n = in.read(b)) > 0 && size <= entry.size()) {
        sha.update(b, 0, n);
        size += n;
      }
    }
    if (size != entry.size() || !Sha256.hex(sha).equals(entry.sha256())) {
      throw RefusalException.about(ReasonCode.DIGEST_MISMATCH, entry.path(), "the hook "
          + entry.path() + " in " + slot + " is not the file the vendor signed any more: it"
          + " is not run");
    }
    return file;
  }

  /**
   * The prefix that runs a hook as {@code hooks.user} when the agent is root (setpriv: real and
   * effective ids, the user's groups, no new privileges); nothing when it is not.
   */
  private List<String> asUser(String hook) throws IOException, RefusalException {
    String user = config.user();
    if (!runningAsRoot()) {
      String me = System.getProperty("user.name");
      if (user != null && !user.equals(me)) {
        throw RefusalException.about(ReasonCode.HOOK_FAILED, hook, "hooks.user is " + user
            + " but the agent runs as " + me + ", not root: it cannot run the hook as another"
            + " user; remove hooks.user or run the agent as root");
      }
      return List.of();
    }
    if (user == null) {
      throw RefusalException.about(ReasonCode.HOOK_FAILED, hook, "the package has the hook "
          + hook + " and the agent runs as root without hooks.user: hooks never run as root;"
          + " set hooks.user to an unprivileged user (docs/AGENT.md)");
    }
    String gid = idOf(user, "-g");
    String uid = idOf(user, "-u");
    if (uid.equals("0")) {
      throw RefusalException.about(ReasonCode.HOOK_FAILED, hook, "hooks.user " + user
          + " has uid 0: hooks never run as root");
    }
    return List.of(CommandRunner.program("setpriv"), "--reuid=" + uid, "--regid=" + gid,
        "--init-groups", "--no-new-privs", "--");
  }

  private static String idOf(String user, String which) throws IOException, RefusalException {
    CommandRunner.Result r = CommandRunner.run(List.of(CommandRunner.program("id"), which, user),
        null, Map.of(), java.time.Duration.ofSeconds(10));
    String out = r.output().strip();
    if (!r.ok() || !out.matches("[0-9]{1,10}")) {
      throw RefusalException.about(ReasonCode.HOOK_FAILED, user, "hooks.user " + user
          + " is not a user of this NE (" + r.describe() + ")");
    }
    return out;
  }

  static boolean runningAsRoot() throws IOException {
    return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
  }
}
