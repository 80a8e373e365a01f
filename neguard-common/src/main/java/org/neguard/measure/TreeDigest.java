package org.neguard.measure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collection;
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
      if (!isLowerHex64(sha256)) {
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
  @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): see below
  public static String of(Collection<Leaf> leaves) {
    // Each path encoded once, sorted by those bytes (evidence verification computes this for
    // every component it receives: the encoding and formatting are most of its cost).
    int n = leaves.size();
    byte[][] paths = new byte[n][];
    Leaf[] byIndex = leaves.toArray(new Leaf[0]);
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      paths[i] = utf8(byIndex[i].path());
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(paths[a], paths[b]));
    MessageDigest sha = Sha256.newDigest();
    // The lines go to the digest in blocks of a few KiB (an update per path and per rest of
    // line cost a tenth of the digest).
    byte[] buf = new byte[8192];
    int pos = 0;
    byte[] previous = null;
    for (int i : order) {
      Leaf leaf = byIndex[i];
      byte[] path = paths[i];
      if (previous != null && Arrays.equals(previous, path)) {
        throw new IllegalArgumentException("duplicate path: " + leaf.path());
      }
      previous = path;
      if (pos + path.length + 71 > buf.length) {
        sha.update(buf, 0, pos);
        pos = 0;
      }
      if (path.length + 71 > buf.length) { // a path longer than the block goes on its own
        sha.update(path);
      } else {
        System.arraycopy(path, 0, buf, pos, path.length);
        pos += path.length;
      }
      // NUL sha256 NUL mode LF. The digest is 64 ASCII hex digits (Leaf's constructor checks
      // it, and a Leaf cannot be made without it), so the low byte of each char is the char:
      // getBytes copies the String's bytes at once, where a charAt loop cost 10 µs of the 300
      // of an evidence verification on JDK 25 (docs/BENCHMARKS.md, issue 15). Deprecated for
      // text outside Latin-1, which this is not.
      buf[pos] = 0;
      leaf.sha256().getBytes(0, 64, buf, pos + 1);
      buf[pos + 65] = 0;
      int mode = leaf.mode();
      buf[pos + 66] = (byte) ('0' + ((mode >> 9) & 7));
      buf[pos + 67] = (byte) ('0' + ((mode >> 6) & 7));
      buf[pos + 68] = (byte) ('0' + ((mode >> 3) & 7));
      buf[pos + 69] = (byte) ('0' + (mode & 7));
      buf[pos + 70] = '\n';
      pos += 71;
    }
    sha.update(buf, 0, pos);
    return Sha256.hex(sha);
  }

  /** Formats a POSIX mode as four octal digits, {@code 0644}. */
  public static String formatMode(int mode) {
    return new String(new char[] {(char) ('0' + ((mode >> 9) & 7)),
        (char) ('0' + ((mode >> 6) & 7)), (char) ('0' + ((mode >> 3) & 7)),
        (char) ('0' + (mode & 7))});
  }

  /** Lower-case hex digits, by character: a table, not two ranges per character. */
  private static final boolean[] LOWER_HEX = new boolean[128];

  static {
    for (char c : "0123456789abcdef".toCharArray()) {
      LOWER_HEX[c] = true;
    }
  }

  /**
   * Whether {@code s} is 64 lower-case hex digits (a regex compiled per call cost more; so did
   * a test of two ranges per character, whose branches a random digest mispredicts).
   */
  static boolean isLowerHex64(String s) {
    if (s.length() != 64) {
      return false;
    }
    boolean ok = true;
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      ok &= c < 128 && LOWER_HEX[c & 127];
    }
    return ok;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
