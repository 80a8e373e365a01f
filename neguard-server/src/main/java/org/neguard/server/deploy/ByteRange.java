package org.neguard.server.deploy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a {@code Range} header (RFC 9110 14.1.2): {@code bytes=N-}, {@code bytes=N-M}
 * or the suffix {@code bytes=-S}.
 *
 * @param first the first byte, inclusive
 * @param last the last byte, inclusive
 */
record ByteRange(long first, long last) {
  /** A range the file cannot satisfy (416). */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  private static final Pattern FORM = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

  /**
   * The range of {@code header} over a file of {@code length} bytes: null for no header or one
   * this server does not serve as a range (several ranges, another unit, malformed: the whole
   * file is sent, as RFC 9110 allows), {@link #UNSATISFIABLE} for a range past the end.
   */
  static ByteRange parse(String header, long length) {
    if (header == null) {
      return null;
    }
    Matcher m = FORM.matcher(header.strip());
    if (!m.matches() || m.group(1).isEmpty() && m.group(2).isEmpty()) {
      return null;
    }
    if (m.group(1).isEmpty()) {
      long suffix = Long.parseLong(m.group(2));
      if (suffix == 0 || length == 0) {
        return UNSATISFIABLE;
      }
      return new ByteRange(Math.max(0, length - suffix), length - 1);
    }
    long first = Long.parseLong(m.group(1));
    long last = m.group(2).isEmpty() ? length - 1 : Long.parseLong(m.group(2));
    if (first >= length) {
      return UNSATISFIABLE;
    }
    if (last < first) {
      return null;
    }
    return new ByteRange(first, Math.min(last, length - 1));
  }
}
