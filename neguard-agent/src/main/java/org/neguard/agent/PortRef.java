package org.neguard.agent;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A listening port the enforce mode blocks: protocol ({@code tcp}, {@code udp} or {@code sctp}),
 * port, and
 * optionally the local address it listens on (an IP literal; null for every address).
 * Validated here because the values end up in an nftables ruleset: nothing but a protocol
 * keyword, a number and a canonical IP literal can reach it.
 *
 * @param protocol {@code tcp}, {@code udp} or {@code sctp}
 * @param port 1 to 65535
 * @param address an IPv4 or IPv6 literal (canonicalised), or null for any; a wildcard
 *     ({@code 0.0.0.0}, {@code ::}) counts as any
 */
public record PortRef(String protocol, int port, String address) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  public PortRef {
    if (protocol == null) {
      throw new IllegalArgumentException("protocol missing: tcp, udp or sctp");
    }
    protocol = protocol.toLowerCase(Locale.ROOT);
    if (!protocol.equals("tcp") && !protocol.equals("udp") && !protocol.equals("sctp")) {
      throw new IllegalArgumentException("protocol is '" + protocol + "', not tcp, udp or sctp");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1..65535");
    }
    address = canonical(address);
  }

  /** Any address. */
  public static PortRef of(String protocol, int port) {
    return new PortRef(protocol, port, null);
  }

  /** Whether {@link #address} is an IPv6 literal. */
  public boolean ipv6() {
    return address != null && address.contains(":");
  }

  private static String canonical(String a) {
    if (a == null || a.isBlank()) {
      return null;
    }
    String s = a.strip();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    // Literals only: a host name would mean a DNS lookup, and a rule for whatever it says.
    boolean v4 = IPV4.matcher(s).matches();
    if (!v4 && !(IPV6.matcher(s).matches() && s.contains(":"))) {
      throw new IllegalArgumentException("address '" + a + "' is not an IP literal");
    }
    InetAddress ip;
    try {
      ip = InetAddress.getByName(s);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address '" + a + "' is not an IP literal");
    }
    if (ip.isAnyLocalAddress()) {
      return null;
    }
    String h = ip.getHostAddress();
    int scope = h.indexOf('%');
    return scope < 0 ? h : h.substring(0, scope);
  }
}
