package org.neguard.vuln;

import java.util.Objects;

/**
 * A Debian package version, {@code [epoch:]upstream[-revision]}, compared by dpkg's rules
 * (deb-version(5)): epochs as numbers, then upstream and revision part by part, where runs of
 * digits compare as numbers and everything else character by character, letters before other
 * characters, and {@code ~} before anything, even the end ({@code 1.0~rc1 < 1.0}).
 *
 * <p>Parsing is as strict as dpkg's: a version dpkg would refuse is refused here, so an NE that
 * reports an impossible version gets no verdict rather than a wrong one. Immutable. Ordering
 * is dpkg's and not consistent with {@code equals}: {@code 1.0} and {@code 1.00} compare equal.
 *
 * @param epoch 0 when absent
 * @param upstream starts with a digit
 * @param revision empty when absent
 */
public record DebianVersion(long epoch, String upstream, String revision)
    implements Comparable<DebianVersion> {
  /** Longer versions are not versions. */
  public static final int MAX_LENGTH = 256;

  public DebianVersion {
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(revision, "revision");
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the version and what is wrong with it
   */
  public static DebianVersion parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty Debian version");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("Debian version longer than " + MAX_LENGTH + ": "
          + text.substring(0, 32) + "...");
    }
    long epoch = 0;
    String rest = text;
    int colon = text.indexOf(':');
    if (colon >= 0) {
      String e = text.substring(0, colon);
      if (e.isEmpty() || !e.chars().allMatch(c -> c >= '0' && c <= '9') || e.length() > 9) {
        throw new IllegalArgumentException("epoch is not a number in Debian version: " + text);
      }
      epoch = Long.parseLong(e);
      rest = text.substring(colon + 1);
    }
    String upstream = rest;
    String revision = "";
    int hyphen = rest.lastIndexOf('-');
    if (hyphen >= 0) {
      upstream = rest.substring(0, hyphen);
      revision = rest.substring(hyphen + 1);
      if (revision.isEmpty()) {
        throw new IllegalArgumentException("empty revision in Debian version: " + text);
      }
      for (char c : revision.toCharArray()) {
        if (!(isAlnum(c) || c == '+' || c == '.' || c == '~')) {
          throw new IllegalArgumentException("invalid character '" + c
              + "' in the revision of Debian version: " + text);
        }
      }
    }
    if (upstream.isEmpty()) {
      throw new IllegalArgumentException("empty upstream part in Debian version: " + text);
    }
    if (!isDigit(upstream.charAt(0))) {
      throw new IllegalArgumentException("Debian version does not start with a digit: " + text);
    }
    for (char c : upstream.toCharArray()) {
      if (!(isAlnum(c) || c == '.' || c == '+' || c == '~' || c == '-')) {
        throw new IllegalArgumentException("invalid character '" + c
            + "' in Debian version: " + text);
      }
    }
    return new DebianVersion(epoch, upstream, revision);
  }

  @Override
  public int compareTo(DebianVersion o) {
    int c = Long.compare(epoch, o.epoch);
    if (c != 0) {
      return c;
    }
    c = compareParts(upstream, o.upstream);
    return c != 0 ? c : compareParts(revision, o.revision);
  }

  /** dpkg's verrevcmp: alternating non-digit and digit runs. */
  static int compareParts(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      while ((i < a.length() && !isDigit(a.charAt(i))) || (j < b.length()
          && !isDigit(b.charAt(j)))) {
        int ac = order(a, i);
        int bc = order(b, j);
        if (ac != bc) {
          return Integer.compare(ac, bc);
        }
        i++;
        j++;
      }
      while (i < a.length() && a.charAt(i) == '0') {
        i++;
      }
      while (j < b.length() && b.charAt(j) == '0') {
        j++;
      }
      int firstDiff = 0;
      while (i < a.length() && isDigit(a.charAt(i)) && j < b.length()
          && isDigit(b.charAt(j))) {
        if (firstDiff == 0) {
          firstDiff = a.charAt(i) - b.charAt(j);
        }
        i++;
        j++;
      }
      if (i < a.length() && isDigit(a.charAt(i))) {
        return 1;
      }
      if (j < b.length() && isDigit(b.charAt(j))) {
        return -1;
      }
      if (firstDiff != 0) {
        return Integer.signum(firstDiff);
      }
    }
    return 0;
  }

  /** The sort weight of the character at {@code i}: end and digits 0, ~ lowest, letters, rest. */
  private static int order(String s, int i) {
    if (i >= s.length()) {
      return 0;
    }
    char c = s.charAt(i);
    if (isDigit(c)) {
      return 0;
    }
    if (isAlpha(c)) {
      return c;
    }
    if (c == '~') {
      return -1;
    }
    return c + 256;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isAlnum(char c) {
    return isDigit(c) || isAlpha(c);
  }

  @Override
  public String toString() {
    return (epoch == 0 ? "" : epoch + ":") + upstream + (revision.isEmpty() ? "" : "-"
        + revision);
  }
}
