package org.neguard.html;

/**
 * The one escaper for HTML and XML text NEGuard writes: reports, evidence pages, JUnit files.
 * What it returns is safe in element content and in attribute values quoted with either {@code
 * "} or {@code '}; nothing that came from a package, a server or a scanned host reaches a page
 * raw.
 *
 * <p>Thread-safe (stateless).
 */
public final class Html {
  private Html() {}

  /**
   * {@code o}'s text ({@code ""} for null) with {@code & < > " '} escaped and every character
   * that XML 1.0 cannot carry replaced as by {@link #xmlSafe}.
   */
  public static String escape(Object o) {
    String s = xmlSafe(o == null ? null : o.toString());
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * {@code s} ({@code ""} for null) with every character XML 1.0 cannot carry (most control
   * characters, lone surrogates, U+FFFE and U+FFFF) replaced by U+FFFD: a banner from a hostile
   * service or a file name with an escape sequence cannot break a report or a terminal. For text
   * handed to an XML writer, which escapes markup itself but not these.
   */
  public static String xmlSafe(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
        continue;
      }
      boolean ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0xD800)
          || (c >= 0xE000 && c <= 0xFFFD);
      sb.append(ok ? c : '\uFFFD');
    }
    return sb.toString();
  }

  /**
   * Starts a self-contained page: the doctype, a Content-Security-Policy that allows nothing but
   * the inline style (a report opened from disk runs no script and loads nothing, whatever a
   * package or a server put in it), the escaped {@code title} and {@code css}. The body is left
   * open for the caller.
   */
  public static StringBuilder pageStart(String title, String css) {
    StringBuilder h = new StringBuilder(16384);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            + " style-src 'unsafe-inline'\">\n")
        .append("<title>").append(escape(title)).append("</title>\n")
        .append("<style>").append(css).append("</style></head><body>\n");
    return h;
  }
}
