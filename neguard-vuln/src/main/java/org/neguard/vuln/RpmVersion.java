package org.neguard.vuln;

import java.util.Objects;

/**
 * An rpm package version, {@code [epoch:]version[-release]}, ordered by rpm's own rules (rpm
 * 4.18 {@code rpmverCmp} and {@code rpmvercmp}, what {@code rpm.vercmp} answers): the epochs as
 * numbers (none counts as 0), then the versions, then the releases (none is empty); each
 * string compared segment by segment, where a segment is a run of digits (compared as a number)
 * or of ASCII letters (compared as bytes), a digit run is newer than a letter run, any other
 * character only separates, {@code ~} sorts before everything, even the end ({@code 1.0~rc1 <
 * 1.0}), and {@code ^} after the end but before any further segment ({@code 1.0 < 1.0^git1 <
 * 1.0.1}).
 *
 * <p>Parsing is as strict as rpmbuild: epoch digits only, version and release of letters,
 * digits and {@code ._+~^} (rpmbuild's {@code ALLOWED_CHARS_VERREL}, macros expanded), no
 * {@code -} in either. A version rpm would not build is refused, so an NE that reports one gets
 * no verdict rather than a wrong one. Immutable. Ordering is rpm's and not consistent with
 * {@code equals}: {@code 1.0} and {@code 1.00} compare equal. A version without a release is
 * below every release of it ({@code 1.0 < 1.0-1}, as {@code rpm.vercmp} orders them; rpm's
 * dependency rule, where {@code = 1.0} matches every release, is not an order).
 *
 * @param epoch 0 when absent
 * @param hasEpoch whether the text named one ({@code toString} gives the text back)
 * @param version never empty
 * @param release empty when absent
 */
public record RpmVersion(long epoch, boolean hasEpoch, String version, String release)
    implements Comparable<RpmVersion> {
  public static final int MAX_LENGTH = 256;
  /** rpm stores epochs as 32-bit numbers. */
  private static final long MAX_EPOCH = 0xFFFF_FFFFL;

  public RpmVersion {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(release, "release");
  }

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming the version and what is wrong with it
   */
  public static RpmVersion parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty rpm version");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("rpm version longer than " + MAX_LENGTH + ": "
          + text.substring(0, 32) + "...");
    }
    long epoch = 0;
    boolean hasEpoch = false;
    String rest = text;
    int colon = text.indexOf(':');
    if (colon >= 0) {
      String e = text.substring(0, colon);
      if (e.isEmpty() || e.length() > 10 || !e.chars().allMatch(RpmVersion::isDigit)
          || Long.parseLong(e) > MAX_EPOCH) {
        throw new IllegalArgumentException("epoch is not a 32-bit number in rpm version: "
            + text);
      }
      epoch = Long.parseLong(e);
      hasEpoch = true;
      rest = text.substring(colon + 1);
    }
    String version = rest;
    String release = "";
    int hyphen = rest.indexOf('-');
    if (hyphen >= 0) {
      version = rest.substring(0, hyphen);
      release = rest.substring(hyphen + 1);
      if (release.isEmpty() || release.indexOf('-') >= 0) {
        throw new IllegalArgumentException((release.isEmpty() ? "empty release" : "'-' in the"
            + " release") + " of rpm version: " + text);
      }
      check(release, "release", text);
    }
    if (version.isEmpty()) {
      throw new IllegalArgumentException("empty version in rpm version: " + text);
    }
    check(version, "version", text);
    return new RpmVersion(epoch, hasEpoch, version, release);
  }

  private static void check(String part, String what, String text) {
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (!(isDigit(c) || isAlpha(c) || c == '.' || c == '_' || c == '+' || c == '~'
          || c == '^')) {
        throw new IllegalArgumentException("invalid character '" + c + "' in the " + what
            + " of rpm version: " + text);
      }
    }
  }

  @Override
  public int compareTo(RpmVersion o) {
    int c = Long.compare(epoch, o.epoch);
    if (c != 0) {
      return c;
    }
    c = rpmvercmp(version, o.version);
    // a missing release is the empty string: below every release, as rpm.vercmp has it
    return c != 0 ? c : rpmvercmp(release, o.release);
  }

  /** rpm's {@code rpmvercmp} on one version or release string: -1, 0 or 1. */
  static int rpmvercmp(String a, String b) {
    if (a.equals(b)) {
      return 0;
    }
    int i = 0;
    int j = 0;
    while (i < a.length() || j < b.length()) {
      while (i < a.length() && !isAlnum(a.charAt(i)) && a.charAt(i) != '~'
          && a.charAt(i) != '^') {
        i++;
      }
      while (j < b.length() && !isAlnum(b.charAt(j)) && b.charAt(j) != '~'
          && b.charAt(j) != '^') {
        j++;
      }
      char ca = i < a.length() ? a.charAt(i) : 0;
      char cb = j < b.length() ? b.charAt(j) : 0;
      // ~ sorts before everything, the end included
      if (ca == '~' || cb == '~') {
        if (ca != '~') {
          return 1;
        }
        if (cb != '~') {
          return -1;
        }
        i++;
        j++;
        continue;
      }
      // ^ sorts after the end, before anything else
      if (ca == '^' || cb == '^') {
        if (ca == 0) {
          return -1;
        }
        if (cb == 0) {
          return 1;
        }
        if (ca != '^') {
          return 1;
        }
        if (cb != '^') {
          return -1;
        }
        i++;
        j++;
        continue;
      }
      if (ca == 0 || cb == 0) {
        break;
      }
      int si = i;
      int sj = j;
      boolean numeric = isDigit(ca);
      if (numeric) {
        while (i < a.length() && isDigit(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && isDigit(b.charAt(j))) {
          j++;
        }
      } else {
        while (i < a.length() && isAlpha(a.charAt(i))) {
          i++;
        }
        while (j < b.length() && isAlpha(b.charAt(j))) {
          j++;
        }
      }
      if (sj == j) {
        // segments of different kinds: a number is newer than letters
        return numeric ? 1 : -1;
      }
      String sa = a.substring(si, i);
      String sb = b.substring(sj, j);
      if (numeric) {
        sa = sa.replaceFirst("^0+", "");
        sb = sb.replaceFirst("^0+", "");
        if (sa.length() != sb.length()) {
          return sa.length() > sb.length() ? 1 : -1;
        }
      }
      int c = sa.compareTo(sb);
      if (c != 0) {
        return c < 0 ? -1 : 1;
      }
    }
    boolean endA = i >= a.length();
    boolean endB = j >= b.length();
    if (endA && endB) {
      return 0;
    }
    return endA ? -1 : 1;
  }

  private static boolean isDigit(int c) {
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
    return (hasEpoch ? epoch + ":" : "") + version + (release.isEmpty() ? "" : "-" + release);
  }
}
