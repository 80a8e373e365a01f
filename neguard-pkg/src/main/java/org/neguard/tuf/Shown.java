package org.neguard.tuf;

/** Text from outside as a message may show it. */
final class Shown {
  private Shown() {}

  /**
   * What the sender wrote, at most 64 characters, anything but printable ASCII as {@code ?}, so
   * that no control character reaches a terminal or a log.
   */
  static String shown(String value) {
    if (value == null) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < value.length() && i < 64; i++) {
      char c = value.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.append(value.length() > 64 ? "…\"" : "\"").toString();
  }
}
