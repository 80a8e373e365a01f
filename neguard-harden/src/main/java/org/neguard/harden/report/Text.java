package org.neguard.harden.report;

/** Escaping for the evidence formats: nothing from an observation reaches a report raw. */
final class Text {
  private Text() {}

  /**
   * Characters XML 1.0 cannot carry (most control characters, lone surrogates, U+FFFE/U+FFFF)
   * become U+FFFD; a banner from a hostile service cannot break the report.
   */
  static String clean(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok;
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
        continue;
      }
      ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0xD800)
          || (c >= 0xE000 && c <= 0xFFFD);
      sb.append(ok ? c : '\uFFFD');
    }
    return sb.toString();
  }

  /** For HTML text and attribute values. */
  static String html(Object o) {
    String s = clean(o == null ? "" : o.toString());
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
