package org.neguard.cli.repo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.OutputFiles;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code neguard repo root sign}: one holder's signature, added in place. Each holder runs it on
 * their own machine with their own key, so the threshold is met by that many people.
 */
@Command(name = "sign", mixinStandardHelpOptions = true,
    description = {
      "Add your signature to a root, in place, and say how many of its threshold are present.",
      "Read what it prints before you sign: the root's version, expiry and every role's keys."
          + " For a new version (a rotation) the previous root's threshold must sign too:"
          + " give the previous root with --previous (repo rotate wrote it beside the new one)"
          + " to have its signatures counted. The password comes from --password-file,"
          + " NEGUARD_KEY_PASSWORD or the terminal."
    })
final class RepoRootSignCommand extends CommandBase {
  @Parameters(index = "0", paramLabel = "root.json", description = "The root to sign, in place.")
  Path file;

  @picocli.CommandLine.Mixin HolderKeyOptions holder;

  @Option(names = "--previous", paramLabel = "N.root.json",
      description = "The root this one replaces, for a rotation (default: N-1.root.json beside"
          + " the file, if there is one).")
  Path previous;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    Metadata md = RepoText.readRoot(file);
    RootMetadata root = md.root();
    RootMetadata prev = previousRoot(root);
    SigningKey signer = holder.read();
    String id = signer.keyId();
    boolean inNew = root.role(Role.ROOT).keyids().contains(id);
    boolean inPrev = prev != null && prev.role(Role.ROOT).keyids().contains(id);
    if (!inNew && !inPrev) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, holder.key.toString(), "key " + id
          + " is not a root key of " + file + " (version " + root.version() + ")"
          + (prev == null ? (root.version() > 1 ? "; if it is one of the previous root's,"
              + " give that root with --previous" : "")
              : " nor of the previous root (version " + prev.version() + ")")
          + ": its signature would count for nothing");
    }
    Metadata signed = md.sign(signer);
    OutputFiles.write(file, signed.toBytes(), true);

    int have = root.countValidSignatures(Role.ROOT, signed);
    int need = root.role(Role.ROOT).threshold();
    StringBuilder text = new StringBuilder("Signed " + file + " with key " + id + "\n"
        + RepoText.describe(root) + "\nSignatures: " + have + " of " + need
        + " of this root's threshold");
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("file", file.toString());
    details.put("keyId", id);
    details.put("version", root.version());
    details.put("signatures", have);
    details.put("threshold", need);
    boolean complete = have >= need;
    if (prev != null) {
      int prevHave = prev.countValidSignatures(Role.ROOT, signed);
      int prevNeed = prev.role(Role.ROOT).threshold();
      text.append("; ").append(prevHave).append(" of ").append(prevNeed)
          .append(" of the previous root's (version ").append(prev.version()).append(')');
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("version", prev.version());
      p.put("signatures", prevHave);
      p.put("threshold", prevNeed);
      details.put("previous", p);
      complete &= prevHave >= prevNeed;
    } else if (root.version() > 1) {
      text.append("; the previous root's were not counted (give it with --previous)");
    }
    details.put("complete", complete);
    text.append(complete ? ".\nComplete: an admin can publish it with 'neguard repo root"
        + " publish " + file + "'." : ".\nMore signatures are needed before it can be"
        + " published.");
    return output().done(text.toString(), details);
  }

  /** The root {@code root} replaces: --previous, else N-1.root.json beside the file. */
  private RootMetadata previousRoot(RootMetadata root) throws Exception {
    Path p = previous;
    if (p == null && root.version() > 1) {
      Path beside = file.toAbsolutePath().resolveSibling(
          Role.ROOT.fileName(root.version() - 1));
      p = java.nio.file.Files.isRegularFile(beside) ? beside : null;
    }
    if (p == null) {
      return null;
    }
    RootMetadata prev = RepoText.readRoot(p).root();
    if (prev.version() != root.version() - 1) {
      throw usage("--previous " + p + " is root version " + prev.version() + ", but " + file
          + " is version " + root.version() + ": give version " + (root.version() - 1));
    }
    return prev;
  }
}
