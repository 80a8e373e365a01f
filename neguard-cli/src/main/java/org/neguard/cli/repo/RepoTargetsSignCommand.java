package org.neguard.cli.repo;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.OutputFiles;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.RootChain;
import org.neguard.tuf.RootMetadata;
import org.neguard.tuf.SigningKey;
import org.neguard.tuf.TargetsMetadata;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code neguard repo targets sign}: one targets key holder's signature, added in place, on their
 * own machine; the count is against the root's targets threshold.
 */
@Command(name = "sign", mixinStandardHelpOptions = true,
    description = {
      "Add your signature to a targets file, in place, and say how many of the root's targets"
          + " threshold are present.",
      "Read what it prints before you sign: every target's name, version, securityVersion, NE"
          + " type, length and SHA-256, and the expiry. The root comes from --root, else the"
          + " newest N.root.json beside the file (repo targets pull wrote it). The password"
          + " comes from --password-file, NEGUARD_KEY_PASSWORD or the terminal."
    })
final class RepoTargetsSignCommand extends CommandBase {
  private static final Pattern ROOT_FILE = Pattern.compile("([1-9][0-9]{0,8})\\.root\\.json");

  @Parameters(index = "0", paramLabel = "targets.json",
      description = "The targets to sign, in place.")
  Path file;

  @picocli.CommandLine.Mixin HolderKeyOptions holder;

  @Option(names = "--root", paramLabel = "N.root.json",
      description = "The root naming the targets keys (default: the newest N.root.json beside"
          + " the file).")
  Path rootFile;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    Metadata md = RepoText.readTargets(RepoText.readTargetsFile(file), file.toString());
    TargetsMetadata targets = md.targets();
    Path rf = rootFile != null ? rootFile : newestRootBeside();
    // Checked as a client would (its own threshold): the keys it names decide what counts.
    RootMetadata root = RootChain.checkFirst(RepoText.readRoot(rf));
    SigningKey signer = holder.read();
    String id = signer.keyId();
    if (!root.role(Role.TARGETS).keyids().contains(id)) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, holder.key.toString(), "key " + id
          + " is not a targets key of root version " + root.version() + " (" + rf
          + "): its signature would count for nothing");
    }
    Metadata signed = md.sign(signer);
    OutputFiles.write(file, signed.toBytes(), true);
    int have = root.countValidSignatures(Role.TARGETS, signed);
    int need = root.role(Role.TARGETS).threshold();
    boolean complete = have >= need;
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("file", file.toString());
    details.put("keyId", id);
    details.putAll(RepoText.details(targets));
    details.put("root", root.version());
    details.put("signatures", have);
    details.put("threshold", need);
    details.put("complete", complete);
    return output().done("Signed " + file + " with key " + id + "\n" + RepoText.describe(targets)
        + "\nSignatures: " + have + " of " + need + " of root " + root.version()
        + "'s targets threshold" + (complete ? ".\nComplete: publish it with 'neguard repo"
            + " targets publish " + file + "'." : ".\nMore signatures are needed before it can"
            + " be published."), details);
  }

  /** The N.root.json beside the file with the highest N. */
  private Path newestRootBeside() throws Exception {
    Path dir = file.toAbsolutePath().getParent();
    Path best = null;
    int bestVersion = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.root.json")) {
      for (Path p : ds) {
        Matcher m = ROOT_FILE.matcher(p.getFileName().toString());
        if (m.matches() && Integer.parseInt(m.group(1)) > bestVersion) {
          bestVersion = Integer.parseInt(m.group(1));
          best = p;
        }
      }
    }
    if (best == null) {
      throw usage("no N.root.json beside " + file + ": give the root naming the targets keys"
          + " with --root (repo targets pull writes it beside the targets)");
    }
    return best;
  }
}
