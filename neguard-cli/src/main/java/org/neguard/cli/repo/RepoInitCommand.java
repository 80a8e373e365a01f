package org.neguard.cli.repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.RepoWire;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootBuilder;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.TufKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code neguard repo init}: the unsigned first root, from public keys only. No private key is
 * read or made here, so the admin who runs it holds nothing that could sign.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = {
      "Assemble the first root (version 1, unsigned) from the root key holders' public keys and"
          + " the server's online keys.",
      "The online keys of timestamp, snapshot and targets come from the server logged in to"
          + " (GET /api/repo/online-keys, admin) or from --online-keys; with --targets-key the"
          + " targets are signed offline instead (repo targets). Then each holder signs"
          + " the file in turn with 'neguard repo root sign', and an admin publishes it with"
          + " 'neguard repo root publish'."
    })
final class RepoInitCommand extends ClientCommand {
  @Option(names = "--root-key", required = true, paramLabel = "KEY.pub.json",
      description = "A root key holder's public key, as 'neguard repo key new' wrote it."
          + " Repeatable: one per holder.")
  List<Path> rootKeys = new ArrayList<>();

  @Option(names = "--threshold", required = true, paramLabel = "K",
      description = "How many of the root keys must sign a root (1 to the number of keys).")
  int threshold;

  @Option(names = "--targets-key", paramLabel = "KEY.pub.json",
      description = "An offline targets key holder's public key ('neguard repo key new'), to"
          + " sign targets offline instead of the server's online targets key. Repeatable; with"
          + " --targets-threshold. See docs/REPOSITORY.md for what each choice protects against.")
  List<Path> targetsKeys = new ArrayList<>();

  @Option(names = "--targets-threshold", paramLabel = "K",
      description = "How many of the targets keys must sign each targets (with --targets-key).")
  Integer targetsThreshold;

  @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "365d",
      converter = DurationConverter.class,
      description = "How long the root is valid, from now (" + DurationConverter.FORMS
          + "; default: 365d).")
  Duration expires;

  @Option(names = "--online-keys", paramLabel = "FILE",
      description = "The online keys as GET /api/repo/online-keys answers, instead of asking"
          + " the server.")
  Path onlineKeys;

  @Option(names = "--out", required = true, paramLabel = "root.json",
      description = "Where to write the unsigned root.")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return out;
  }

  @Override
  public Integer call() throws Exception {
    List<TufKey> keys = RepoKeys.read(rootKeys, this::usage);
    if (threshold < 1 || threshold > keys.size()) {
      throw usage("--threshold must be between 1 and the number of root keys (" + keys.size()
          + "): " + threshold);
    }
    List<TufKey> offlineTargets = RepoTargetsKeys.read(targetsKeys, targetsThreshold,
        this::usage);
    OutputFiles.check(out, force.force);
    Map<Role, TufKey> online = onlineKeys != null
        ? RepoWire.onlineKeys(Files.readAllBytes(onlineKeys), onlineKeys.toString())
        : RepoWire.onlineKeys(server().repoOnlineKeys(), "the server's online keys");
    RepoKeys.checkApart(keys, online, this::usage);
    RepoKeys.checkApart(offlineTargets, "targets", online, this::usage);
    RootBuilder b = RootBuilder.create(
        Instant.now().plus(expires).truncatedTo(ChronoUnit.SECONDS))
        .role(Role.ROOT, keys, threshold);
    for (Role r : RepoWire.ONLINE) {
      b.role(r, List.of(online.get(r)), 1);
    }
    if (!offlineTargets.isEmpty()) {
      b.role(Role.TARGETS, offlineTargets, targetsThreshold);
    }
    RootMetadata root = b.build();
    OutputFiles.write(out, root.toMetadata().toBytes(), force.force);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("out", out.toString());
    details.putAll(RepoText.details(root));
    details.put("signatures", 0);
    details.put("targetsOffline", !offlineTargets.isEmpty());
    return output().done("Wrote the unsigned root to " + out + "\n" + RepoText.describe(root)
        + "\nNext, each root key holder signs it in turn (" + threshold + " of " + keys.size()
        + " needed):\n  neguard repo root sign " + out + " --key HOLDER.key\nthen an admin"
        + " publishes it:\n  neguard repo root publish " + out
        + (offlineTargets.isEmpty() ? "" : "\nTargets are signed offline (" + targetsThreshold
            + " of " + offlineTargets.size() + "): after the root, and after every upload,"
            + " the targets key holders pull, sign and publish the targets:\n  neguard repo"
            + " targets pull --out targets.json"), details);
  }
}
