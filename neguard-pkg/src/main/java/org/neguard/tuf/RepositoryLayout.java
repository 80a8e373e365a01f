package org.neguard.tuf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The repository's files on disk, as they are served under a base URL {@code B}:
 * {@code B/metadata/N.root.json} (every version) and {@code root.json} (the newest),
 * {@code N.targets.json}, {@code N.snapshot.json}, {@code timestamp.json}, and
 * {@code B/targets/<sha256>.<name>}. For tests and for {@code neguard repo} export.
 */
public final class RepositoryLayout {
  public static final String METADATA = "metadata";
  public static final String TARGETS = "targets";

  private RepositoryLayout() {}

  /**
   * Writes a whole repository under {@code dir} (creating directories, replacing files of the
   * same name).
   *
   * @param roots every root version, any order; the highest is also written as root.json
   * @param published the current targets, snapshot and timestamp
   * @param targetContents the file of each target by name; a target not in it gets no file
   * @throws IllegalArgumentException when {@code roots} is empty or has a non-root, or a file's
   *     length or SHA-256 differ from its target entry (nothing is left of that file)
   */
  public static void write(Path dir, List<Metadata> roots, Published published,
      Map<String, Path> targetContents) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("roots is empty: a repository has at least one root");
    }
    Path meta = Files.createDirectories(dir.resolve(METADATA));
    Path targets = Files.createDirectories(dir.resolve(TARGETS));
    Metadata newest = roots.stream().max(Comparator.comparingInt(Metadata::version)).get();
    for (Metadata root : roots) {
      if (root.role() != Role.ROOT) {
        throw new IllegalArgumentException("a " + root.role().roleName() + " file among roots");
      }
      Files.write(meta.resolve(Role.ROOT.fileName(root.version())), root.toBytes());
    }
    Files.write(meta.resolve("root.json"), newest.toBytes());
    Files.write(meta.resolve(published.targetsFileName()), published.targetsBytes());
    Files.write(meta.resolve(published.snapshotFileName()), published.snapshotBytes());
    Files.write(meta.resolve(Role.TIMESTAMP.fileName(0)), published.timestampBytes());
    TargetsMetadata listed;
    try {
      listed = published.targets().targets();
    } catch (org.neguard.verdict.RefusalException e) {
      throw new IllegalArgumentException("the published targets do not read back", e);
    }
    for (TargetFile t : listed.targets().values()) {
      Path source = targetContents.get(t.name());
      if (source == null) {
        continue;
      }
      Path out = targets.resolve(t.consistentFileName());
      MessageDigest sha = Crypto.sha256();
      long n;
      try (InputStream in = Files.newInputStream(source);
          OutputStream o = new DigestOutputStream(Files.newOutputStream(out), sha)) {
        n = in.transferTo(o);
      }
      String hash = Crypto.HEX.formatHex(sha.digest());
      if (n != t.length() || !hash.equals(t.sha256())) {
        Files.deleteIfExists(out);
        throw new IllegalArgumentException("the file " + source + " for target " + t.name()
            + " is " + n + " bytes with SHA-256 " + hash + ", not the " + t.length()
            + " bytes with " + t.sha256() + " its entry says");
      }
    }
  }
}
