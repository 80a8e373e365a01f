package org.neguard.vuln;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Python package version by PEP 440, parsed with the PEP's own normalizing regular
 * expression (Appendix B) and ordered as the PEP says: {@code 1.0.dev1 < 1.0a1 < 1.0b2 <
 * 1.0rc1 < 1.0 < 1.0.post1 < 1.1}; trailing zeros of the release do not count ({@code 1.0 ==
 * 1.0.0}); a local label ({@code +ubuntu1}) sorts above the same version without one.
 *
 * @param epoch 0 when absent
 * @param release the release numbers, trailing zeros dropped
 * @param preKind {@code a}, {@code b} or {@code rc}; empty when no pre-release
 * @param pre the pre-release number (-1 when absent)
 * @param post the post-release number, -1 when absent
 * @param dev the dev-release number, -1 when absent
 * @param local the local label's segments, empty when absent
 */
public record Pep440Version(BigInteger epoch, List<BigInteger> release, String preKind,
    BigInteger pre, BigInteger post, BigInteger dev, List<String> local)
    implements Comparable<Pep440Version> {
  private static final Pattern PEP440 = Pattern.compile(
      "v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)"
          + "(?<pre>[-_.]?(?<prel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pren>[0-9]+)?)?"
          + "(?<post>(?:-(?<post1>[0-9]+))|(?:[-_.]?(?<postl>post|rev|r)[-_.]?(?<post2>[0-9]+)?))?"
          + "(?<dev>[-_.]?(?<devl>dev)[-_.]?(?<devn>[0-9]+)?)?)"
          + "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?");
  private static final BigInteger NONE = BigInteger.valueOf(-1);

  public Pep440Version {
    release = List.copyOf(release);
    local = List.copyOf(local);
  }

  /**
   * Parses {@code text} (case-insensitive, surrounding white space allowed, as the PEP says).
   *
   * @throws IllegalArgumentException naming the text when it is not a PEP 440 version
   */
  public static Pep440Version parse(String text) {
    Matcher m = PEP440.matcher(text.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("not a PEP 440 version: " + text);
    }
    List<BigInteger> release = new ArrayList<>();
    for (String p : m.group("release").split("\\.")) {
      release.add(new BigInteger(p));
    }
    while (release.size() > 1 && release.get(release.size() - 1).signum() == 0) {
      release.remove(release.size() - 1);
    }
    String preKind = "";
    BigInteger pre = NONE;
    if (m.group("pre") != null) {
      preKind = switch (m.group("prel")) {
        case "alpha", "a" -> "a";
        case "beta", "b" -> "b";
        default -> "rc";
      };
      pre = number(m.group("pren"));
    }
    BigInteger post = m.group("post") == null ? NONE
        : number(m.group("post1") != null ? m.group("post1") : m.group("post2"));
    BigInteger dev = m.group("dev") == null ? NONE : number(m.group("devn"));
    List<String> local = m.group("local") == null ? List.of()
        : List.of(m.group("local").split("[-_.]"));
    return new Pep440Version(m.group("epoch") == null ? BigInteger.ZERO
        : new BigInteger(m.group("epoch")), release, preKind, pre, post, dev, local);
  }

  private static BigInteger number(String s) {
    return s == null ? BigInteger.ZERO : new BigInteger(s);
  }

  @Override
  public int compareTo(Pep440Version o) {
    int c = epoch.compareTo(o.epoch);
    if (c != 0) {
      return c;
    }
    for (int i = 0; i < Math.max(release.size(), o.release.size()); i++) {
      c = part(release, i).compareTo(part(o.release, i));
      if (c != 0) {
        return c;
      }
    }
    c = Integer.compare(preRank(), o.preRank());
    if (c == 0 && !preKind.isEmpty()) {
      c = pre.compareTo(o.pre);
    }
    if (c != 0) {
      return c;
    }
    c = post.compareTo(o.post); // absent (-1) before any post-release
    if (c != 0) {
      return c;
    }
    // absent dev sorts after every dev release of the same version
    c = (dev.signum() < 0 ? BigInteger.valueOf(Long.MAX_VALUE) : dev)
        .compareTo(o.dev.signum() < 0 ? BigInteger.valueOf(Long.MAX_VALUE) : o.dev);
    if (c != 0) {
      return c;
    }
    return compareLocal(local, o.local);
  }

  /**
   * A dev release of a final version ({@code 1.0.dev1}) sorts before its pre-releases; no
   * pre-release sorts after all of them.
   */
  private int preRank() {
    if (preKind.isEmpty()) {
      return dev.signum() >= 0 && post.signum() < 0 ? -1 : 3;
    }
    return switch (preKind) {
      case "a" -> 0;
      case "b" -> 1;
      default -> 2;
    };
  }

  private static BigInteger part(List<BigInteger> r, int i) {
    return i < r.size() ? r.get(i) : BigInteger.ZERO;
  }

  /** Numeric segments above alphanumeric ones, numbers as numbers; a longer label wins. */
  private static int compareLocal(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      String x = a.get(i);
      String y = b.get(i);
      boolean xn = x.chars().allMatch(Character::isDigit);
      boolean yn = y.chars().allMatch(Character::isDigit);
      int c = xn && yn ? new BigInteger(x).compareTo(new BigInteger(y))
          : xn ? 1 : yn ? -1 : x.compareTo(y);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
