package org.neguard.server.audit;

/**
 * The one escaping of control characters for the audit log: applied to every text field before
 * it is stored and hashed, and again by every export format (for rows stored before it
 * existed). A control character shown as {@code \}{@code u001b} cannot move a terminal's cursor,
 * forge a log line or hide text; the rest of the value is kept as typed. Stateless.
 */
public final class AuditText {
  private AuditText() {}

  /**
   * Whether {@code c} is escaped: C0, DEL and C1 controls, line and paragraph separators, and
   * format characters (bidirectional overrides, zero-width characters), which terminals and
   * viewers act on rather than show; and unpaired surrogates.
   */
  public static boolean isControl(int c) {
    int type = Character.getType(c);
    return Character.isISOControl(c) || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR || type == Character.FORMAT
        || type == Character.SURROGATE; // unpaired: no character, and not storable as UTF-8
  }

  /** {@code s} with every control character as {@code \}{@code uXXXX}; null as empty. */
  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    if (s.codePoints().noneMatch(AuditText::isControl)) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    s.codePoints().forEach(c -> {
      if (isControl(c)) {
        if (Character.isBmpCodePoint(c)) {
          b.append(String.format("\\u%04x", c));
        } else {
          b.append(String.format("\\u%04x\\u%04x", (int) Character.highSurrogate(c),
              (int) Character.lowSurrogate(c)));
        }
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
