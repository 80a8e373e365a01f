package org.neguard.cli.repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.RepoWire;
import org.neguard.cli.support.ServerClient;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.RootChain;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.TufKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code neguard repo rotate}: the next root version, unsigned, from the server's current root.
 * It replaces the root keys and threshold, and/or an online role's key; everything else stays.
 */
@Command(name = "rotate", mixinStandardHelpOptions = true,
    description = {
      "Make the next root version from the server's current one (admin), replacing the root"
          + " keys and threshold (--root-key, --threshold), online keys (--online) and/or the"
          + " offline targets keys (--targets-key, --targets-threshold).",
      "--online asks the server for a new key for the role (the old one keeps signing until the"
          + " new root is published) and names it in the new root: this is also the recovery"
          + " from a compromised online key. The new root must be signed by the previous root's"
          + " threshold and by its own ('neguard repo root sign'; the previous root is written"
          + " beside --out as N.root.json for it), then published ('neguard repo root"
          + " publish')."
    })
final class RepoRotateCommand extends ClientCommand {
  @Option(names = "--root-key", paramLabel = "KEY.pub.json",
      description = "A root key of the new root (with --threshold: they replace all the root"
          + " keys). Repeatable.")
  List<Path> rootKeys = new ArrayList<>();

  @Option(names = "--threshold", paramLabel = "K",
      description = "How many of the new root keys must sign (with --root-key).")
  Integer threshold;

  @Option(names = "--online", paramLabel = "ROLE",
      description = "An online role whose key the server replaces: timestamp, snapshot or"
          + " targets. Repeatable.")
  List<String> online = new ArrayList<>();

  @Option(names = "--targets-key", paramLabel = "KEY.pub.json",
      description = "An offline targets key of the new root (with --targets-threshold: they"
          + " replace the targets keys, and the server stops signing targets). Repeatable."
          + " '--online targets' switches back to the server's online targets key.")
  List<Path> targetsKeys = new ArrayList<>();

  @Option(names = "--targets-threshold", paramLabel = "K",
      description = "How many of the offline targets keys must sign each targets (with"
          + " --targets-key).")
  Integer targetsThreshold;

  @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "365d",
      converter = DurationConverter.class,
      description = "How long the new root is valid, from now (" + DurationConverter.FORMS
          + "; default: 365d).")
  Duration expires;

  @Option(names = "--out", required = true, paramLabel = "root.json",
      description = "Where to write the new, unsigned root.")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return out;
  }

  @Override
  public Integer call() throws Exception {
    if (rootKeys.isEmpty() != (threshold == null)) {
      throw usage("--root-key and --threshold go together: the new root keys and how many of"
          + " them must sign");
    }
    Set<Role> roles = new LinkedHashSet<>();
    for (String name : online) {
      Role r = RepoWire.ONLINE.stream().filter(o -> o.roleName().equals(name)).findFirst()
          .orElseThrow(() -> usage("--online takes timestamp, snapshot or targets: " + name));
      if (!roles.add(r)) {
        throw usage("--online " + name + " is given twice");
      }
    }
    List<TufKey> offlineTargets = RepoTargetsKeys.read(targetsKeys, targetsThreshold,
        this::usage);
    if (!offlineTargets.isEmpty() && roles.contains(Role.TARGETS)) {
      throw usage("--targets-key and --online targets contradict each other: targets are"
          + " signed either offline or by the server");
    }
    List<TufKey> keys = RepoKeys.read(rootKeys, this::usage);
    if (threshold != null && (threshold < 1 || threshold > keys.size())) {
      throw usage("--threshold must be between 1 and the number of root keys (" + keys.size()
          + "): " + threshold);
    }
    ServerClient server = server();
    byte[] currentBytes = server.repoMetadata("root.json");
    Metadata currentMd = Metadata.parse(currentBytes, RepoText.MAX_ROOT_BYTES);
    // The server's root is checked as a client would (its own threshold), not taken on trust:
    // the new root copies its keys.
    RootMetadata current = RootChain.checkFirst(currentMd);
    Path previousFile = out.toAbsolutePath().resolveSibling(
        Role.ROOT.fileName(current.version()));
    boolean writePrevious = !Files.exists(previousFile)
        || !Arrays.equals(Files.readAllBytes(previousFile), currentBytes);
    // Refused before the server makes a key: a refusal changes nothing there either.
    OutputFiles.check(out, force.force);
    if (writePrevious) {
      OutputFiles.check(previousFile, force.force);
    }
    RootBuilder b = RootBuilder.next(current,
        Instant.now().plus(expires).truncatedTo(ChronoUnit.SECONDS));
    if (!keys.isEmpty()) {
      b.role(Role.ROOT, keys, threshold);
    }
    Map<Role, TufKey> onlineNow = new LinkedHashMap<>();
    for (Role r : RepoWire.ONLINE) {
      onlineNow.put(r, current.keysOf(r).get(0));
    }
    for (Role r : roles) {
      TufKey k = RepoWire.onlineKey(server.rotateRepoOnlineKey(r.roleName()), r,
          "the server's new " + r.roleName() + " key");
      onlineNow.put(r, k);
      b.role(r, List.of(k), 1);
    }
    if (!offlineTargets.isEmpty()) {
      b.role(Role.TARGETS, offlineTargets, targetsThreshold);
      onlineNow.remove(Role.TARGETS);
      RepoKeys.checkApart(offlineTargets, "targets", onlineNow, this::usage);
    }
    RepoKeys.checkApart(keys.isEmpty() ? current.keysOf(Role.ROOT) : keys, onlineNow,
        this::usage);
    RootMetadata next = b.build();
    if (writePrevious) {
      OutputFiles.write(previousFile, currentBytes, force.force);
    }
    OutputFiles.write(out, next.toMetadata().toBytes(), force.force);

    List<String> changed = new ArrayList<>();
    if (!keys.isEmpty()) {
      changed.add("the root keys (" + threshold + " of " + keys.size() + ")");
    }
    for (Role r : roles) {
      changed.add("the " + r.roleName() + " key (new: " + onlineNow.get(r).keyId() + ")");
    }
    if (!offlineTargets.isEmpty()) {
      changed.add("the targets keys (offline, " + targetsThreshold + " of "
          + offlineTargets.size() + "; then 'neguard repo targets pull' for the holders)");
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("out", out.toString());
    details.put("previous", previousFile.toString());
    details.put("previousVersion", current.version());
    details.putAll(RepoText.details(next));
    details.put("rotated", roles.stream().map(Role::roleName).toList());
    details.put("rootKeysReplaced", !keys.isEmpty());
    details.put("targetsOffline", !offlineTargets.isEmpty());
    return output().done("Wrote root version " + next.version() + " (unsigned) to " + out
        + ", replacing " + (changed.isEmpty() ? "nothing but the expiry" : String.join(" and ",
            changed)) + "; the current root (version " + current.version() + ") is in "
        + previousFile + "\n" + RepoText.describe(next) + "\nNext, it needs "
        + current.role(Role.ROOT).threshold() + " signature(s) of the previous root's keys and "
        + next.role(Role.ROOT).threshold() + " of its own:\n  neguard repo root sign " + out
        + " --key HOLDER.key\nthen an admin publishes it:\n  neguard repo root publish " + out,
        details);
  }
}
