package org.neguard.vuln;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The generic order NVD CPE versions are compared in, since a CPE names no ecosystem whose own
 * rules could apply (docs/VULNERABILITIES.md, "NVD and CPE matching"):
 *
 * <ol>
 *   <li>A version starts with a digit, is at most {@value #MAX_LENGTH} characters of letters,
 *       digits and the separators {@code . - _ +}, and is read case-insensitively as runs of
 *       digits (numbers) and runs of letters (words); separators only end a run.
 *   <li>Numbers compare as numbers, never as text: {@code 9.10 > 9.2}, {@code 1.010 = 1.10}.
 *   <li>Words are qualifiers: pre-releases {@code dev < a|alpha < b|beta < m|milestone <
 *       rc|pre|preview} come before the release ({@code 1.0rc1 < 1.0}); patch levels
 *       {@code p pl patch post sp u update r rev} come after it ({@code 9.2p1 > 9.2}, and
 *       {@code 9.2p1 < 9.3 < 9.10}); a patch level of a version comes before its next number
 *       ({@code 9.2p1 < 9.2.1}).
 *   <li>One letter, or two starting with {@code z}, straight after a digit and ending the
 *       version or followed by a separator, are a letter release, OpenSSL-style, after the
 *       release and in alphabetical order: {@code 1.0.2 < 1.0.2a < 1.0.2u < 1.0.2z < 1.0.2za}
 *       (so {@code 1.0.2u} is not an "update" and {@code 1.1.1a} not an alpha).
 *   <li>A missing number counts as 0 ({@code 1.0 = 1.0.0}, {@code 8.0p1 = 8p1}): zeros ending
 *       a run of numbers are dropped before comparing, which keeps the order transitive.
 * </ol>
 *
 * Anything else (another word, a space, {@code :} or {@code ~}, a letter release against a
 * patch level) cannot be ordered: callers report "not assessed", never a pass.
 */
public final class CpeVersion {
  public static final int MAX_LENGTH = 128;
  private static final Map<String, Integer> PRE = Map.ofEntries(Map.entry("dev", 0),
      Map.entry("a", 1), Map.entry("alpha", 1), Map.entry("b", 2), Map.entry("beta", 2),
      Map.entry("m", 3), Map.entry("milestone", 3), Map.entry("rc", 4), Map.entry("pre", 4),
      Map.entry("preview", 4));
  private static final Set<String> POST = Set.of("p", "pl", "patch", "post", "sp", "u",
      "update", "r", "rev");

  private enum Kind {
    PRE, END, POST, LETTER, NUM
  }

  private record Token(Kind kind, String text, int rank) {}

  private CpeVersion() {}

  /** Whether {@code v} can be ordered at all. */
  public static boolean isOrderable(String v) {
    return tokens(v).isPresent();
  }

  /**
   * {@code a} against {@code b}: negative, zero or positive; empty when either cannot be
   * ordered or the two cannot be ordered against each other.
   */
  public static OptionalInt compare(String a, String b) {
    Optional<List<Token>> ta = tokens(a);
    Optional<List<Token>> tb = tokens(b);
    if (ta.isEmpty() || tb.isEmpty()) {
      return OptionalInt.empty();
    }
    return compare(ta.get(), tb.get(), Math.max(ta.get().size(), tb.get().size()));
  }

  /**
   * Whether {@code v} is {@code base} or an update of it ({@code 9.2p1} and {@code 9.2rc1} of
   * {@code 9.2}, not {@code 9.2.1} nor {@code 9.20}); empty when either cannot be ordered.
   */
  public static Optional<Boolean> isUpdateOf(String v, String base) {
    Optional<List<Token>> tv = tokens(v);
    Optional<List<Token>> tb = tokens(base);
    if (tv.isEmpty() || tb.isEmpty()) {
      return Optional.empty();
    }
    List<Token> x = tv.get();
    List<Token> y = tb.get();
    if (x.size() < y.size()) {
      return Optional.of(compare(x, y, y.size()).orElse(1) == 0);
    }
    OptionalInt head = compare(x.subList(0, y.size()), y, y.size());
    if (head.isEmpty() || head.getAsInt() != 0) {
      return head.isEmpty() ? Optional.empty() : Optional.of(false);
    }
    return Optional.of(x.size() == y.size() || x.get(y.size()).kind() == Kind.PRE
        || x.get(y.size()).kind() == Kind.POST);
  }

  private static OptionalInt compare(List<Token> a, List<Token> b, int n) {
    Token end = new Token(Kind.END, "", 0);
    for (int i = 0; i < n; i++) {
      Token x = i < a.size() ? a.get(i) : end;
      Token y = i < b.size() ? b.get(i) : end;
      int c;
      if (x.kind() != y.kind()) {
        if ((x.kind() == Kind.POST && y.kind() == Kind.LETTER)
            || (x.kind() == Kind.LETTER && y.kind() == Kind.POST)) {
          return OptionalInt.empty(); // 1.0.2a against 1.0.2p1: no rule says which is later
        }
        c = Integer.compare(weight(x.kind()), weight(y.kind()));
      } else {
        c = switch (x.kind()) {
          case NUM -> x.text().length() != y.text().length()
              ? Integer.compare(x.text().length(), y.text().length())
              : x.text().compareTo(y.text());
          case PRE -> Integer.compare(x.rank(), y.rank());
          case LETTER -> x.text().compareTo(y.text());
          case POST, END -> 0;
        };
      }
      if (c != 0) {
        return OptionalInt.of(c);
      }
    }
    return OptionalInt.of(0);
  }

  private static int weight(Kind k) {
    return switch (k) {
      case PRE -> 0;
      case END -> 1;
      case POST, LETTER -> 2;
      case NUM -> 3;
    };
  }

  private static Optional<List<Token>> tokens(String raw) {
    if (raw == null || raw.isEmpty() || raw.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    String v = raw.toLowerCase(Locale.ROOT);
    if (!isDigit(v.charAt(0))) {
      return Optional.empty();
    }
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < v.length()) {
      char c = v.charAt(i);
      int j = i;
      if (isDigit(c)) {
        while (j < v.length() && isDigit(v.charAt(j))) {
          j++;
        }
        String digits = v.substring(i, j).replaceFirst("^0+(?=.)", "");
        out.add(new Token(Kind.NUM, digits, 0));
      } else if (c >= 'a' && c <= 'z') {
        while (j < v.length() && v.charAt(j) >= 'a' && v.charAt(j) <= 'z') {
          j++;
        }
        String word = v.substring(i, j);
        boolean afterDigit = isDigit(v.charAt(i - 1));
        boolean atEnd = j == v.length() || isSeparator(v.charAt(j));
        // OpenSSL's letter releases run a..z then za..zl: one letter, or two starting with z,
        // straight after a digit and ending there; 1.0.2u is not "update", nor 1.1.1a alpha.
        if (afterDigit && atEnd && (word.length() == 1
            || (word.length() == 2 && word.charAt(0) == 'z'))) {
          out.add(new Token(Kind.LETTER, word, 0));
        } else if (PRE.containsKey(word)) {
          out.add(new Token(Kind.PRE, word, PRE.get(word)));
        } else if (POST.contains(word)) {
          out.add(new Token(Kind.POST, word, 0));
        } else {
          return Optional.empty();
        }
      } else if (isSeparator(c)) {
        j = i + 1;
        if (j < v.length() && isSeparator(v.charAt(j))) {
          return Optional.empty(); // 1..2 is a typo, not a version
        }
      } else {
        return Optional.empty();
      }
      i = j;
    }
    // A zero ending a run of numbers is dropped (1.0 is 1, 8.0p1 is 8p1, 1.0.0rc1 is 1rc1):
    // comparing it instead as "0 against nothing" would put 8.0 between 8p1 and 8 (intransitive).
    List<Token> norm = new ArrayList<>(out.size());
    for (int k = out.size() - 1; k >= 0; k--) {
      Token t = out.get(k);
      boolean nextIsNum = !norm.isEmpty() && norm.get(norm.size() - 1).kind() == Kind.NUM;
      if (t.kind() == Kind.NUM && t.text().equals("0") && !nextIsNum && k > 0) {
        continue;
      }
      norm.add(t);
    }
    java.util.Collections.reverse(norm);
    return Optional.of(norm);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isSeparator(char c) {
    return c == '.' || c == '-' || c == '_' || c == '+';
  }
}
