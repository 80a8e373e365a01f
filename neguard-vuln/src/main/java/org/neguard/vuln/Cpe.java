package org.neguard.vuln;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A CPE name (NISTIR 7695, CPE 2.3 naming): eleven attributes, each ANY ({@code *}), NA
 * ({@code -}) or a value. Read from the 2.3 formatted string NVD uses
 * ({@code cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*}) or from the 2.2 URI nmap prints
 * ({@code cpe:/a:openbsd:openssh:9.2p1}), both to one form, so two spellings of one name are
 * equal and a matcher never compares a URI to a formatted string.
 *
 * <p>Each value is kept as its well-formed name (WFN) form: every character other than a
 * letter, digit or {@code _} is quoted with {@code \}, and an unquoted {@code *} or {@code ?}
 * is a wildcard. That form is unambiguous: {@code 1\.0} and {@code 1.0} of the formatted
 * string, and {@code 1.0} of the URI, are one value; a literal hyphen ({@code \-}) is not NA.
 * Values are lower-cased: CPE comparisons are case-insensitive (NISTIR 7696) and the NVD
 * dictionary is lower-case.
 *
 * <p>Parsing is strict: what the grammar does not allow (an unquoted {@code :} or space,
 * {@code \} before a letter, a wildcard inside a value, a non-ASCII character, a wrong number
 * of components) is refused as {@code MALFORMED}, never guessed at: a name read two ways by
 * two programs is how a product slips past a check.
 *
 * <p>Immutable; equal when their formatted strings are equal.
 */
public final class Cpe {
  /** Longer names are refused before they are looked at; real ones are under 200. */
  public static final int MAX_LENGTH = 1024;

  /** The eleven attributes, in binding order. */
  public enum Attribute {
    PART, VENDOR, PRODUCT, VERSION, UPDATE, EDITION, LANGUAGE, SW_EDITION, TARGET_SW,
    TARGET_HW, OTHER
  }

  static final String ANY = "*";
  static final String NA = "-";
  private static final int N = 11;
  private static final String PUNCT = "!\"#$%&'()+,./:;<=>@[]^`{|}~-";

  // Each is ANY, NA or a WFN value (quoted, lower-case).
  private final String[] wfn;
  private final String formatted;

  private Cpe(String[] wfn) {
    this.wfn = wfn;
    this.formatted = bindFs(wfn);
  }

  /**
   * Reads a 2.3 formatted string ({@code cpe:2.3:...}) or a 2.2 URI ({@code cpe:/...}).
   *
   * @throws RefusalException MALFORMED naming what is wrong
   */
  public static Cpe parse(String name) throws RefusalException {
    if (name == null) {
      throw malformed("(null)", "no CPE name");
    }
    if (name.length() > MAX_LENGTH) {
      throw malformed(name.substring(0, 64) + "...", "longer than " + MAX_LENGTH
          + " characters");
    }
    if (name.startsWith("cpe:2.3:")) {
      return parseFormatted(name);
    }
    if (name.startsWith("cpe:/")) {
      return parseUri(name);
    }
    throw malformed(name, "neither a CPE 2.3 formatted string (cpe:2.3:part:vendor:product:...)"
        + " nor a CPE 2.2 URI (cpe:/part:vendor:product:...)");
  }

  /** Reads a CPE 2.3 formatted string: {@code cpe:2.3:} and eleven components. */
  public static Cpe parseFormatted(String name) throws RefusalException {
    if (!name.startsWith("cpe:2.3:") || name.length() > MAX_LENGTH) {
      throw malformed(name, "not a CPE 2.3 formatted string of at most " + MAX_LENGTH
          + " characters starting cpe:2.3:");
    }
    List<String> parts = splitUnquoted(name.substring(8), name);
    if (parts.size() != N) {
      throw malformed(name, parts.size() + " components after cpe:2.3:, a formatted string has"
          + " " + N + " (part:vendor:product:version:update:edition:language:sw_edition:"
          + "target_sw:target_hw:other; use * for any)");
    }
    String[] wfn = new String[N];
    for (int i = 0; i < N; i++) {
      wfn[i] = unbindFs(parts.get(i), name, Attribute.values()[i]);
    }
    checkPart(wfn[0], name);
    checkValues(wfn, name);
    return new Cpe(wfn);
  }

  /**
   * Reads a CPE 2.2 URI ({@code cpe:/a:openbsd:openssh:9.2p1}), as nmap prints it: up to seven
   * components (missing ones are ANY, an empty one is ANY, {@code -} is NA), percent-encoding,
   * and the packed edition {@code ~edition~sw_edition~target_sw~target_hw~other}.
   */
  public static Cpe parseUri(String name) throws RefusalException {
    if (!name.startsWith("cpe:/") || name.length() > MAX_LENGTH) {
      throw malformed(name, "not a CPE 2.2 URI of at most " + MAX_LENGTH
          + " characters starting cpe:/");
    }
    String[] comps = name.substring(5).split(":", -1);
    if (comps.length > 7) {
      throw malformed(name, comps.length + " components after cpe:/, a URI has at most 7"
          + " (part:vendor:product:version:update:edition:language)");
    }
    String[] wfn = new String[N];
    java.util.Arrays.fill(wfn, ANY);
    for (int i = 0; i < comps.length; i++) {
      String c = comps[i];
      if (i == 5 && c.startsWith("~")) {
        // Packed edition (CPE 2.3 URI binding): ~edition~sw_edition~target_sw~target_hw~other.
        String[] packed = c.substring(1).split("~", -1);
        if (packed.length != 5) {
          throw malformed(name, "the packed edition " + c + " has " + packed.length
              + " fields, it needs 5 (~edition~sw_edition~target_sw~target_hw~other)");
        }
        int[] at = {5, 7, 8, 9, 10};
        for (int k = 0; k < 5; k++) {
          wfn[at[k]] = unbindUri(packed[k], name);
        }
      } else {
        wfn[i] = unbindUri(c, name);
      }
    }
    checkPart(wfn[0], name);
    checkValues(wfn, name);
    return new Cpe(wfn);
  }

  private static final java.util.regex.Pattern LANGUAGE =
      java.util.regex.Pattern.compile("[a-z]{2,3}(\\\\-([a-z]{2}|[0-9]{3}))?");

  /**
   * What the CPE 2.3 schema's name pattern adds to the per-character grammar: a value is not
   * wildcards alone ({@code **}, {@code ?*}), and a language is an RFC 5646 tag
   * ({@code en}, {@code en-us}).
   */
  private static void checkValues(String[] wfn, String name) throws RefusalException {
    for (int i = 1; i < N; i++) {
      String v = wfn[i];
      if (!v.equals(ANY) && !v.equals(NA) && v.replace("*", "").replace("?", "").isEmpty()) {
        throw malformed(name, Attribute.values()[i].name().toLowerCase(Locale.ROOT)
            + " is wildcards only; write ANY as a single *");
      }
    }
    String lang = wfn[Attribute.LANGUAGE.ordinal()];
    if (!lang.equals(ANY) && !lang.equals(NA) && !LANGUAGE.matcher(lang).matches()) {
      throw malformed(name, "language " + lang.replace("\\", "") + " is not a language tag"
          + " (en, en-us)");
    }
  }

  /** The attribute's WFN value: {@code *} for ANY, {@code -} for NA, else quoted. */
  String wfn(Attribute a) {
    return wfn[a.ordinal()];
  }

  /** Whether the attribute is ANY ({@code *}). */
  public boolean isAny(Attribute a) {
    return wfn[a.ordinal()].equals(ANY);
  }

  /** Whether the attribute is NA ({@code -}, "not applicable"). */
  public boolean isNa(Attribute a) {
    return wfn[a.ordinal()].equals(NA);
  }

  /** Whether the attribute is a value with an unquoted {@code *} or {@code ?} in it. */
  public boolean hasWildcard(Attribute a) {
    String v = wfn[a.ordinal()];
    if (v.equals(ANY) || v.equals(NA)) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '*' || c == '?') {
        return true;
      }
    }
    return false;
  }

  /**
   * The attribute's value as text, quoting removed ({@code 9.2p1}); {@code *} for ANY and
   * {@code -} for NA (use {@link #isAny}/{@link #isNa} to tell a literal hyphen from NA).
   */
  public String value(Attribute a) {
    String v = wfn[a.ordinal()];
    if (v.equals(ANY) || v.equals(NA)) {
      return v;
    }
    StringBuilder b = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\') {
        c = v.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }

  public String part() {
    return value(Attribute.PART);
  }

  public String vendor() {
    return value(Attribute.VENDOR);
  }

  public String product() {
    return value(Attribute.PRODUCT);
  }

  public String version() {
    return value(Attribute.VERSION);
  }

  public String update() {
    return value(Attribute.UPDATE);
  }

  /** The 2.3 formatted string ({@code cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*}). */
  @Override
  public String toString() {
    return formatted;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cpe c && c.formatted.equals(formatted);
  }

  @Override
  public int hashCode() {
    return formatted.hashCode();
  }

  private static void checkPart(String part, String name) throws RefusalException {
    if (!part.equals(ANY) && !part.equals("a") && !part.equals("o") && !part.equals("h")) {
      throw malformed(name, "part is " + part.replace("\\", "") + ", it is a (application),"
          + " o (operating system), h (hardware) or * (any)");
    }
  }

  // Splits at ':' not quoted by '\'; a trailing '\' is refused by unbindFs.
  private static List<String> splitUnquoted(String s, String name) {
    List<String> out = new ArrayList<>(N);
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == ':') {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  /**
   * A formatted-string component to its WFN value (NISTIR 7695 6.2.3, with the 6.2.2.1
   * grammar checked rather than assumed): letters, digits, {@code _ . -} as they are;
   * {@code \} before punctuation, {@code \}, {@code *} or {@code ?}; an unquoted {@code *}
   * only alone or at an end; unquoted {@code ?}s only in runs at an end.
   */
  private static String unbindFs(String c, String name, Attribute a) throws RefusalException {
    if (c.equals(ANY) || c.equals(NA)) {
      return c;
    }
    if (c.isEmpty()) {
      throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " is empty; a formatted string"
          + " writes any as * and not-applicable as -");
    }
    StringBuilder b = new StringBuilder(c.length() + 8);
    for (int i = 0; i < c.length(); i++) {
      char ch = c.charAt(i);
      if (isAlnum(ch) || ch == '_') {
        b.append(Character.toLowerCase(ch));
      } else if (ch == '.' || ch == '-') {
        b.append('\\').append(ch);
      } else if (ch == '\\') {
        if (i + 1 >= c.length()) {
          throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " ends with a lone \\");
        }
        char q = c.charAt(++i);
        if (q != '\\' && q != '*' && q != '?' && PUNCT.indexOf(q) < 0) {
          throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " quotes '" + q
              + "', only punctuation, \\, * and ? may be quoted");
        }
        b.append('\\').append(q);
      } else if (ch == '*') {
        if (i != 0 && i != c.length() - 1) {
          throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " has an unquoted * inside"
              + " a value (quote it as \\*, or it is a wildcard only at an end)");
        }
        b.append('*');
      } else if (ch == '?') {
        if (!questionRunAtEnd(c, i)) {
          throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " has an unquoted ? inside"
              + " a value (quote it as \\?, or it is a wildcard only at an end)");
        }
        b.append('?');
      } else {
        throw malformed(name, a.name().toLowerCase(Locale.ROOT) + " has "
            + describe(ch) + " unquoted; quote punctuation with \\, other characters are not"
            + " allowed in a CPE");
      }
    }
    return b.toString();
  }

  private static boolean questionRunAtEnd(String c, int i) {
    int s = i;
    while (s > 0 && c.charAt(s - 1) == '?') {
      s--;
    }
    int e = i;
    while (e < c.length() - 1 && c.charAt(e + 1) == '?') {
      e++;
    }
    // A run of ? touching the start (not quoted by a preceding '\') or the end.
    return s == 0 || e == c.length() - 1;
  }

  /**
   * A URI component to its WFN value (NISTIR 7695 6.1.3): empty is ANY, {@code -} is NA,
   * letters, digits, {@code _ . - ~} as they are, {@code %xx} decoded ({@code %01} and
   * {@code %02} are the wildcards ? and *), every non-alphanumeric quoted.
   */
  private static String unbindUri(String c, String name) throws RefusalException {
    if (c.isEmpty()) {
      return ANY;
    }
    if (c.equals(NA)) {
      return NA;
    }
    StringBuilder b = new StringBuilder(c.length() + 8);
    for (int i = 0; i < c.length(); i++) {
      char ch = c.charAt(i);
      if (isAlnum(ch) || ch == '_') {
        b.append(Character.toLowerCase(ch));
      } else if (ch == '.' || ch == '-' || ch == '~') {
        b.append('\\').append(ch);
      } else if (ch == '%') {
        if (i + 2 >= c.length()) {
          throw malformed(name, "a % without two hex digits");
        }
        int v = hex(c.charAt(i + 1)) * 16 + hex(c.charAt(i + 2));
        i += 2;
        if (v == 1) {
          b.append('?');
        } else if (v == 2) {
          b.append('*');
        } else if (v < 0x21 || v > 0x7e) {
          throw malformed(name, "%-encodes a character outside printable ASCII");
        } else if (isAlnum((char) v) || v == '_') {
          b.append(Character.toLowerCase((char) v));
        } else {
          b.append('\\').append((char) v);
        }
      } else {
        throw malformed(name, describe(ch) + " in a URI component; encode it as %xx");
      }
    }
    String v = b.toString();
    // The wildcards %01 (?) and %02 (*) obey the formatted string's rule: only at an end, or
    // a name would read as a pattern in one binding and be refused in the other.
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      if (ch == '\\') {
        i++;
      } else if ((ch == '*' && i != 0 && i != v.length() - 1)
          || (ch == '?' && !questionRunAtEnd(v, i))) {
        throw malformed(name, "a wildcard (%01 or %02) inside a value; it is allowed only at an"
            + " end");
      }
    }
    return v;
  }

  private static int hex(char c) {
    int d = Character.digit(c, 16);
    return d < 0 ? -10_000 : d;
  }

  /** WFN to formatted string (NISTIR 7695 6.2.2.2): {@code \. \- \_} unquoted. */
  private static String bindFs(String[] wfn) {
    StringBuilder b = new StringBuilder("cpe:2.3");
    for (String v : wfn) {
      b.append(':');
      if (v.equals(ANY) || v.equals(NA)) {
        b.append(v);
        continue;
      }
      if (v.equals("\\-")) {
        b.append("\\-"); // a literal hyphen alone would read back as NA
        continue;
      }
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '\\') {
          char q = v.charAt(++i);
          if (q == '.' || q == '-' || q == '_') {
            b.append(q);
          } else {
            b.append('\\').append(q);
          }
        } else {
          b.append(c);
        }
      }
    }
    return b.toString();
  }

  private static boolean isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static String describe(char c) {
    return c < 0x21 || c > 0x7e ? String.format("the character U+%04X", (int) c) : "'" + c + "'";
  }

  private static RefusalException malformed(String name, String message) {
    return new RefusalException(ReasonCode.MALFORMED, "CPE " + printable(name) + ": " + message);
  }

  // A name quoted in a message: never echo control characters into a terminal or log.
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return b.toString();
  }
}
