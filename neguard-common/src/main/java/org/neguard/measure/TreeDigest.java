package org.neguard.measure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The tree digest of a set of files: the package RIM when computed from a manifest, the TIM of
 * an installed component when computed from files on disk. Both sides use this one class, so a
 * RIM and a TIM of the same files are equal by construction.
 *
 * <p>Definition (docs/FORMAT.md, "Tree digest"): one line per file, {@code path NUL sha256 NUL
 * mode LF}, where path is the relative '/'-separated UTF-8 path, sha256 is 64 lower-case hex
 * digits and mode is four octal digits ({@code 0755}); lines sorted by the unsigned bytes of
 * the path; the digest is SHA-256 over the concatenated lines, written as lower-case hex.
 *
 * <p>Thread-safe: instances are immutable.
 */
public final class TreeDigest {
  /** The algorithm name recorded next to a tree digest in manifests and reports. */
  public static final String ALGORITHM = "sha256-tree-v1";

  private TreeDigest() {}

  /** One file as the tree digest sees it. */
  public record Leaf(String path, String sha256, int mode) {
    public Leaf {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(sha256, "sha256");
      if (path.isEmpty() || path.indexOf('\0') >= 0 || path.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("path empty or with NUL/LF: " + path);
      }
      if (!sha256.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("sha256 is not 64 lower-case hex digits: " + sha256);
      }
      if (mode < 0 || mode > 07777) {
        throw new IllegalArgumentException("mode out of range: " + Integer.toOctalString(mode));
      }
    }
  }

  /**
   * Computes the tree digest of {@code leaves}.
   *
   * @throws IllegalArgumentException if two leaves have the same path
   */
  public static String of(Collection<Leaf> leaves) {
    List<Leaf> sorted = new ArrayList<>(leaves);
    sorted.sort((a, b) -> Arrays.compareUnsigned(utf8(a.path()), utf8(b.path())));
    MessageDigest sha = Sha256.newDigest();
    byte[] previous = null;
    for (Leaf leaf : sorted) {
      byte[] path = utf8(leaf.path());
      if (previous != null && Arrays.equals(previous, path)) {
        throw new IllegalArgumentException("duplicate path: " + leaf.path());
      }
      previous = path;
      sha.update(path);
      sha.update((byte) 0);
      sha.update(leaf.sha256().getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) 0);
      sha.update(formatMode(leaf.mode()).getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) '\n');
    }
    return Sha256.hex(sha);
  }

  /** Formats a POSIX mode as four octal digits, {@code 0644}. */
  public static String formatMode(int mode) {
    return String.format("%04o", mode);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
