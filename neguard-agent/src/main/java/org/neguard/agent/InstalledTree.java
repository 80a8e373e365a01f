package org.neguard.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.neguard.measure.Sha256;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.sign.SignatureVerifier;
import org.neguard.sign.SignerDetails;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Re-verifies the active slot of an NE after the fact ({@code neguard agent verify-installed},
 * INT-3, INT-1): the kept manifest's CMS signature against the configured trust anchors (the
 * same {@link SignatureVerifier} as {@code pkg verify}, certificates judged at the signing time),
 * then every file under the slot, re-hashed, against that manifest. Nothing is followed: a
 * symbolic link, a device node or a FIFO where the manifest has no entry is reported, and one in
 * place of a listed file or directory counts as that file missing.
 *
 * <p>Stateless; reads only.
 */
public final class InstalledTree {
  private InstalledTree() {}

  /** What is wrong with one path of the slot. */
  public enum Kind {
    /** Listed, present, but another size or SHA-256. */
    CHANGED(ReasonCode.DIGEST_MISMATCH),
    /** Listed, present, same content, other permission bits (setuid added, say). */
    MODE(ReasonCode.STRUCTURE),
    /** Listed, not there as a regular file. */
    MISSING(ReasonCode.STRUCTURE),
    /** A regular file or directory the manifest does not list. */
    EXTRA(ReasonCode.STRUCTURE),
    /** A symbolic link, device, FIFO or socket: packages carry regular files only. */
    UNSAFE(ReasonCode.UNSAFE_PATH);

    private final ReasonCode code;

    Kind(ReasonCode code) {
      this.code = code;
    }

    public ReasonCode code() {
      return code;
    }
  }

  /** One finding: the path relative to the slot, what is wrong, and a message saying so. */
  public record Finding(String path, Kind kind, String message) {
    public ReasonCode code() {
      return kind.code();
    }
  }

  /**
   * The outcome: the slot, its verified manifest and signer, how many files were re-hashed, and
   * the findings (none when the tree is the one the vendor signed).
   */
  public record Result(Path slot, Manifest manifest, SignerDetails signer, int filesChecked,
      List<Finding> findings) {
    public Result {
      findings = List.copyOf(findings);
    }

    public boolean intact() {
      return findings.isEmpty();
    }
  }

  /**
   * Verifies the slot {@code current} names under {@code slots} against its manifest kept in
   * {@code manifests}.
   *
   * @throws RefusalException BAD_INPUT when nothing is active; UNSAFE_PATH when {@code current}
   *     leads outside {@code versions/} or the slot is not a plain directory; UNSIGNED when no
   *     signed manifest was kept for the slot; the signature verifier's refusals (a manifest or
   *     signature altered, a signer not under the trust anchors); STRUCTURE when the manifest is
   *     for another slot
   */
  public static Result verify(Slots slots, SlotManifests manifests, TrustStore trust,
      Clock clock) throws IOException, RefusalException {
    Optional<Path> active = slots.activeSlot();
    if (active.isEmpty()) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "nothing is active under "
          + slots.root() + " (no 'current' link): there is no installed tree to verify");
    }
    Path slot = active.get();
    String name = slot.getFileName().toString();
    SlotManifests.Kept kept = manifests.load(name).orElseThrow(() -> RefusalException.about(
        ReasonCode.UNSIGNED, name, "no signed manifest is kept for the active slot " + name
            + " in " + manifests.dir() + " (installed by an agent that did not keep one, or"
            + " removed): nothing to verify the tree against; deploy the version again"));
    Manifest m = ManifestCodec.decode(kept.manifest());
    SignerDetails signer = new SignatureVerifier(trust, clock)
        .verify(kept.manifest(), kept.signature(), m.vendor());
    if (!Slots.name(m.name(), m.version()).equals(Slots.base(name))) {
      throw RefusalException.about(ReasonCode.STRUCTURE, name, "the manifest kept for " + name
          + " is that of " + m.name() + " " + m.version());
    }
    return compare(slot, m, signer);
  }

  /** Compares the tree under {@code slot} with {@code m} (package-private: unit-tested alone). */
  static Result compare(Path slot, Manifest m, SignerDetails signer) throws IOException {
    Map<String, Manifest.FileEntry> listed = new LinkedHashMap<>();
    Set<String> dirs = new HashSet<>();
    for (Manifest.FileEntry f : m.files()) {
      listed.put(f.path(), f);
      for (int i = f.path().indexOf('/'); i > 0; i = f.path().indexOf('/', i + 1)) {
        dirs.add(f.path().substring(0, i));
      }
    }
    List<Finding> findings = new ArrayList<>();
    Map<String, Path> regular = new LinkedHashMap<>();
    Files.walkFileTree(slot, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
        if (d.equals(slot)) {
          return FileVisitResult.CONTINUE;
        }
        String rel = rel(slot, d);
        if (dirs.contains(rel)) {
          return FileVisitResult.CONTINUE;
        }
        findings.add(new Finding(rel, Kind.EXTRA, "directory '" + rel + "' is not in the"
            + " signed manifest (nothing below it was read)"));
        return FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
        String rel = rel(slot, f);
        if (a.isRegularFile()) {
          if (listed.containsKey(rel)) {
            regular.put(rel, f);
          } else {
            findings.add(new Finding(rel, Kind.EXTRA, "'" + rel
                + "' is not in the signed manifest"));
          }
        } else {
          String what = a.isSymbolicLink() ? "a symbolic link" : "a special file (device,"
              + " FIFO or socket)";
          findings.add(new Finding(rel, Kind.UNSAFE, "'" + rel + "' is " + what
              + (listed.containsKey(rel) ? " where the signed manifest lists a regular file"
                  : ", not in the signed manifest") + "; packages carry regular files only"));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path f, IOException e) {
        String rel = rel(slot, f);
        findings.add(new Finding(rel, listed.containsKey(rel) ? Kind.MISSING : Kind.EXTRA,
            "'" + rel + "' cannot be read: " + e.getMessage()));
        return FileVisitResult.CONTINUE;
      }
    });
    int checked = 0;
    for (Manifest.FileEntry f : listed.values()) {
      Path p = regular.get(f.path());
      if (p == null) {
        if (findings.stream().noneMatch(x -> x.path().equals(f.path()))) {
          findings.add(new Finding(f.path(), Kind.MISSING, "'" + f.path()
              + "' is listed in the signed manifest and missing"));
        }
        continue;
      }
      checked++;
      String digest;
      long size;
      try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS,
          StandardOpenOption.READ)) {
        MessageDigest sha = Sha256.newDigest();
        byte[] buf = new byte[1 << 16];
        size = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
          sha.update(buf, 0, n);
          size += n;
        }
        digest = Sha256.hex(sha);
      } catch (IOException e) {
        findings.add(new Finding(f.path(), Kind.MISSING, "'" + f.path()
            + "' cannot be read: " + e.getMessage()));
        continue;
      }
      if (size != f.size() || !digest.equals(f.sha256())) {
        findings.add(new Finding(f.path(), Kind.CHANGED, "'" + f.path() + "' is " + size
            + " bytes, SHA-256 " + digest + "; the signed manifest says " + f.size()
            + " bytes, SHA-256 " + f.sha256()));
        continue;
      }
      int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS))
          & 07777;
      if (mode != f.modeBits()) {
        findings.add(new Finding(f.path(), Kind.MODE, "'" + f.path() + "' has mode "
            + String.format("%04o", mode) + "; the signed manifest says " + f.mode()));
      }
    }
    findings.sort(Comparator.comparing(Finding::path));
    return new Result(slot, m, signer, checked, findings);
  }

  private static String rel(Path slot, Path p) {
    return slot.relativize(p).toString();
  }
}
