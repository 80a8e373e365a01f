package org.neguard.harden.inventory;

/** Address text as people and {@code ss} write it: dotted IPv4, RFC 5952 IPv6. */
final class Addresses {
  private Addresses() {}

  /**
   * Formats a 4- or 16-byte address. IPv4-mapped IPv6 addresses keep their IPv6 form
   * ({@code ::ffff:10.0.0.1}) because the socket is an IPv6 one.
   */
  static String format(byte[] raw) {
    if (raw.length == 4) {
      return (raw[0] & 0xff) + "." + (raw[1] & 0xff) + "." + (raw[2] & 0xff) + "." + (raw[3] & 0xff);
    }
    if (raw.length != 16) {
      throw new IllegalArgumentException("address length is not 4 or 16: " + raw.length);
    }
    boolean mapped = true;
    for (int i = 0; i < 10; i++) {
      mapped &= raw[i] == 0;
    }
    mapped &= (raw[10] & 0xff) == 0xff && (raw[11] & 0xff) == 0xff;
    if (mapped) {
      return "::ffff:" + format(new byte[] {raw[12], raw[13], raw[14], raw[15]});
    }
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((raw[i * 2] & 0xff) << 8) | (raw[i * 2 + 1] & 0xff);
    }
    // RFC 5952: the longest run (>= 2) of zero groups becomes "::", the first one on a tie.
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
