package org.neguard.harden.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IP address or a CIDR prefix ({@code 10.0.0.5}, {@code 10.20.0.0/16}, {@code 2001:db8::/32})
 * where a declared service may be reachable. Only literals: nothing here ever resolves a name,
 * so evaluating a policy never sends a DNS query.
 *
 * @param text the form written in the policy
 * @param network the network address, masked to the prefix
 * @param prefix the prefix length (32 or 128 for a single address)
 */
public record AddressRange(String text, byte[] network, int prefix) {
  private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  public AddressRange {
    Objects.requireNonNull(text, "text");
    network = network.clone();
  }

  @Override
  public byte[] network() {
    return network.clone();
  }

  /**
   * Parses {@code ADDRESS} or {@code ADDRESS/PREFIX}.
   *
   * @throws IllegalArgumentException naming the bad text when it is not an IP literal or prefix
   */
  public static AddressRange parse(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    byte[] bytes = literal(addr)
        .orElseThrow(() -> new IllegalArgumentException(
            "not an IP address, CIDR prefix or interface name: '" + text + "'"));
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      String p = text.substring(slash + 1);
      if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > max) {
        throw new IllegalArgumentException("prefix length not in 0.." + max + ": '" + text + "'");
      }
      prefix = Integer.parseInt(p);
    }
    return new AddressRange(text, mask(bytes, prefix), prefix);
  }

  /** Whether {@code address} (an IP literal) is inside this range; false for anything else. */
  public boolean contains(String address) {
    Optional<byte[]> b = literal(address);
    return b.isPresent() && b.get().length == network.length
        && Arrays.equals(mask(b.get(), prefix), network);
  }

  /** The bytes of an IP literal, without ever resolving a name; empty when it is not one. */
  public static Optional<byte[]> literal(String s) {
    if (s == null) {
      return Optional.empty();
    }
    String a = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    int zone = a.indexOf('%');
    if (zone >= 0) {
      a = a.substring(0, zone);
    }
    if (!V4.matcher(a).matches() && !V6.matcher(a).matches()) {
      return Optional.empty();
    }
    try {
      // A literal never triggers a lookup: the patterns above let only digits, dots and colons in.
      byte[] bytes = InetAddress.getByName(a).getAddress();
      if (bytes.length == 4 && V4.matcher(a).matches()) {
        for (String part : a.split("\\.")) {
          if (Integer.parseInt(part) > 255) {
            return Optional.empty();
          }
        }
      }
      return Optional.of(bytes);
    } catch (UnknownHostException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether an address means "every interface" ({@code 0.0.0.0}, {@code ::}, {@code *}). */
  public static boolean isWildcard(String address) {
    if ("*".equals(address)) {
      return true;
    }
    Optional<byte[]> b = literal(address);
    if (b.isEmpty()) {
      return false;
    }
    for (byte x : b.get()) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] mask(byte[] in, int prefix) {
    byte[] out = in.clone();
    for (int i = 0; i < out.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - bits)));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AddressRange r && r.prefix == prefix && Arrays.equals(r.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    return text;
  }
}
