package org.neguard.cli.repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.ServerClient;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootChain;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.TargetsMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code neguard repo targets pull}: the next unsigned targets from the server, and the current
 * root beside it (as {@code N.root.json}), so that the holders count signatures against it.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = {
      "Fetch the next unsigned targets (admin, approver): every verified package, version"
          + " current+1, or a renewal of the current targets near its expiry.",
      "The current root is written beside it as N.root.json, for 'neguard repo targets sign' to"
          + " count signatures. When the published targets is current, nothing is written."
    })
final class RepoTargetsPullCommand extends ClientCommand {
  @Option(names = "--out", required = true, paramLabel = "targets.json",
      description = "Where to write the unsigned targets.")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return out;
  }

  @Override
  public Integer call() throws Exception {
    OutputFiles.check(out, force.force);
    ServerClient server = server();
    Optional<ServerClient.NextTargets> next = server.repoTargetsNext();
    if (next.isEmpty()) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("current", true);
      return output().done("Nothing to sign: the published targets lists every verified"
          + " package and is not near its expiry.", details);
    }
    Metadata md = RepoText.readTargets(next.get().content(), "the server's next targets");
    TargetsMetadata t = md.targets();
    byte[] rootBytes = server.repoMetadata("root.json");
    RootMetadata root = RootChain.checkFirst(Metadata.parse(rootBytes, RepoText.MAX_ROOT_BYTES));
    Path rootFile = out.toAbsolutePath().resolveSibling(Role.ROOT.fileName(root.version()));
    boolean writeRoot = !Files.exists(rootFile)
        || !Arrays.equals(Files.readAllBytes(rootFile), rootBytes);
    if (writeRoot) {
      OutputFiles.check(rootFile, force.force);
      OutputFiles.write(rootFile, rootBytes, force.force);
    }
    OutputFiles.write(out, next.get().content(), force.force);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("current", false);
    details.put("out", out.toString());
    details.put("root", rootFile.toString());
    details.put("why", next.get().why());
    details.putAll(RepoText.details(t));
    details.put("threshold", root.role(Role.TARGETS).threshold());
    return output().done("Wrote the unsigned targets to " + out + " (" + next.get().why()
        + "); root version " + root.version() + " is in " + rootFile + "\n"
        + RepoText.describe(t) + "\nNext, " + root.role(Role.TARGETS).threshold() + " of the "
        + root.role(Role.TARGETS).keyids().size() + " targets key holders sign it:\n  neguard"
        + " repo targets sign " + out + " --key HOLDER.key\nthen it is published:\n  neguard"
        + " repo targets publish " + out, details);
  }
}
