package org.neguard.pkg;

import org.neguard.measure.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import org.neguard.measure.FileModes;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/**
 * Installs a bundle's payload into a directory, only after the bundle verified in full (INT-1,
 * INT-3). Each file is hashed again as it is written, so a bundle swapped between verification
 * and extraction is caught. The target ends complete or empty: on any failure everything written
 * is removed. Nothing is ever written outside the target.
 */
public final class BundleExtractor {
  private final BundleVerifier verifier;

  public BundleExtractor(BundleVerifier verifier) {
    this.verifier = Objects.requireNonNull(verifier, "verifier");
  }

  /**
   * Verifies {@code bundle}, then extracts its payload into {@code target}, which must not exist
   * or be an empty directory.
   *
   * @return the verification the extraction rests on
   * @throws RefusalException any verification refusal; {@code BAD_INPUT} if the target is not
   *     empty; {@code DIGEST_MISMATCH} if the bundle changed after verification
   */
  public Verification extract(
      Path bundle, Path target, BundleLimits limits, ProgressListener progress)
      throws IOException, RefusalException {
    checkTarget(target);
    try (BundleReader reader = BundleReader.open(bundle, limits)) {
      Verification verification = verifier.verify(reader, progress);
      checkTarget(target); // again: verification may have taken minutes
      boolean created = !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
      if (created) {
        // Private while it fills, so nobody else can plant links in it; opened up at the end.
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.createDirectory(target, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
      }
      Path root = target.toRealPath();
      boolean done = false;
      // One buffer for every file, of the hashers' read size: 1 MiB of garbage per file filled
      // the agent's 2 MB young generation at every file, and a smaller one could not hold it at
      // all (a full collection each: docs/AGENT.md "Footprint", -Xmn).
      byte[] buffer = new byte[PayloadHasher.BUFFER];
      try {
        for (Manifest.FileEntry f : verification.manifest().files()) {
          write(reader, root, f, buffer);
        }
        if (created) {
          Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        done = true;
        return verification;
      } finally {
        if (!done) {
          clear(root, created);
        }
      }
    }
  }

  private static void checkTarget(Path target) throws IOException, RefusalException {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "--to " + target + " exists and is not a directory");
    }
    try (DirectoryStream<Path> d = Files.newDirectoryStream(target)) {
      if (d.iterator().hasNext()) {
        throw new RefusalException(
            ReasonCode.BAD_INPUT,
            "--to " + target + " is not empty; extract into a new or empty directory");
      }
    }
  }

  private static void write(
      BundleReader reader, Path root, Manifest.FileEntry f, byte[] buffer) throws IOException, RefusalException {
    Path dest = root.resolve(PackagePath.check(f.path())).normalize();
    if (!dest.startsWith(root) || dest.equals(root)) {
      throw RefusalException.about(
          ReasonCode.UNSAFE_PATH, f.path(), "'" + f.path() + "' would land outside the target");
    }
    Path parent = dest.getParent();
    // One component at a time, never through a symbolic link.
    for (Path dir = root; !dir.equals(parent); ) {
      dir = dir.resolve(parent.getName(dir.getNameCount()));
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(dir);
      } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw RefusalException.about(ReasonCode.UNSAFE_PATH, f.path(),
            "'" + root.relativize(dir) + "' in the target is not a directory (a link?)");
      }
    }
    if (!parent.toRealPath().startsWith(root)) {
      throw RefusalException.about(
          ReasonCode.UNSAFE_PATH, f.path(), "'" + f.path() + "' would land outside the target");
    }
    MessageDigest sha = Sha256.newDigest();
    long size = 0;
    try (InputStream in = reader.openEntry(f.entryName(), f.size());
        OutputStream out =
            Files.newOutputStream(
                dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        sha.update(buffer, 0, n);
        out.write(buffer, 0, n);
        size += n;
      }
    } catch (BundleReader.SizeExceededException e) {
      throw RefusalException.about(
          ReasonCode.SIZE_LIMIT, f.path(), "'" + f.path() + "' grew after verification");
    } catch (java.util.zip.ZipException e) {
      throw RefusalException.about(ReasonCode.MALFORMED, f.path(), "'" + f.path()
          + "' changed between verification and extraction (" + e.getMessage()
          + "); nothing was installed");
    }
    if (size != f.size() || !Sha256.hex(sha).equals(f.sha256())) {
      throw RefusalException.about(
          ReasonCode.DIGEST_MISMATCH,
          f.path(),
          "'" + f.path() + "' changed between verification and extraction; nothing was installed");
    }
    Files.getFileAttributeView(dest, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(FileModes.permissions(f.modeBits()));
  }

  /** Removes what an aborted extraction wrote; keeps a target that existed before. */
  private static void clear(Path root, boolean removeRoot) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (removeRoot || !dir.equals(root)) {
              Files.delete(dir);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
