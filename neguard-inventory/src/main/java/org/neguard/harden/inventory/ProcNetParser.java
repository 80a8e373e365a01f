package org.neguard.harden.inventory;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.neguard.harden.Transport;

/**
 * Parses the kernel's socket tables, the text files {@code ss} reads when netlink is not used:
 * /proc/net/tcp, tcp6, udp, udp6 (one socket a line, addresses as hexadecimal words in the
 * host's byte order) and /proc/net/sctp/eps (SCTP endpoints, addresses in text).
 *
 * <p>A line that does not have the documented shape is refused with its line number rather than
 * skipped: a silently skipped socket would be a listener the audit never sees.
 *
 * <p>Stateless and thread-safe.
 */
public final class ProcNetParser {
  /** TCP_LISTEN in include/net/tcp_states.h. */
  private static final int TCP_LISTEN = 0x0A;
  /** TCP_CLOSE: what an unconnected (bound, "UNCONN") UDP socket shows. */
  private static final int TCP_CLOSE = 0x07;

  private ProcNetParser() {}

  /**
   * Parses /proc/net/tcp, tcp6, udp or udp6.
   *
   * @param transport TCP or UDP
   * @param ipv6 whether the text is from the "6" table
   * @param text the file's whole content, header line included
   * @param byteOrder the byte order of the machine that wrote the file (the kernel prints each
   *     32-bit address word as a native integer)
   * @throws IllegalArgumentException naming the line when a line is malformed
   */
  public static List<SocketEntry> parseInet(
      Transport transport, boolean ipv6, String text, ByteOrder byteOrder) {
    if (transport == Transport.SCTP) {
      throw new IllegalArgumentException("SCTP endpoints are parsed by parseSctpEndpoints");
    }
    List<SocketEntry> out = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int i = 1; i < lines.length; i++) { // line 0 is the header
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\\s+");
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (f.length < 10 || !f[0].endsWith(":")) {
        throw new IllegalArgumentException("line " + (i + 1) + ": not a socket line: " + line);
      }
      try {
        Endpoint local = endpoint(f[1], ipv6, byteOrder);
        Endpoint remote = endpoint(f[2], ipv6, byteOrder);
        int state = Integer.parseInt(f[3], 16);
        int uid = Integer.parseInt(f[7]);
        long inode = Long.parseLong(f[9]);
        boolean listening =
            transport == Transport.TCP
                ? state == TCP_LISTEN
                : state == TCP_CLOSE && remote.port == 0 && remote.unspecified;
        out.add(new SocketEntry(transport, ipv6, local.text, local.port, listening, uid, inode));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
      }
    }
    return List.copyOf(out);
  }

  /**
   * Parses /proc/net/sctp/eps: {@code ENDPT SOCK STY SST HBKT LPORT UID INODE LADDRS}, one
   * endpoint a line with every bound address after the inode (net/sctp/proc.c).
   *
   * @throws IllegalArgumentException naming the line when a line is malformed
   */
  public static List<SocketEntry> parseSctpEndpoints(String text) {
    List<SocketEntry> out = new ArrayList<>();
    String[] lines = text.split("\n");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length < 9) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": not an SCTP endpoint line (ENDPT SOCK STY SST HBKT LPORT UID INODE LADDRS): " + line);
      }
      try {
        int port = Integer.parseInt(f[5]);
        int uid = Integer.parseInt(f[6]);
        long inode = Long.parseLong(f[7]);
        List<String> addresses = new ArrayList<>();
        boolean ipv6 = false;
        for (int j = 8; j < f.length; j++) {
          // The kernel marks the primary address of an association with '*'; endpoints have none,
          // but accept it so a recorded assocs-style list parses too.
          String a = f[j].startsWith("*") ? f[j].substring(1) : f[j];
          byte[] raw = parseTextAddress(a);
          ipv6 |= raw.length == 16;
          addresses.add(Addresses.format(raw));
        }
        out.add(new SocketEntry(Transport.SCTP, ipv6, String.join(" ", addresses), port, true, uid, inode));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
      }
    }
    return List.copyOf(out);
  }

  private record Endpoint(String text, int port, boolean unspecified) {}

  private static Endpoint endpoint(String field, boolean ipv6, ByteOrder order) {
    int colon = field.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("address without port: " + field);
    }
    String hex = field.substring(0, colon);
    int words = ipv6 ? 4 : 1;
    if (hex.length() != words * 8) {
      throw new IllegalArgumentException(
          "address is not " + words * 8 + " hexadecimal digits: " + hex);
    }
    byte[] raw = new byte[words * 4];
    for (int w = 0; w < words; w++) {
      int v = Integer.parseUnsignedInt(hex.substring(w * 8, w * 8 + 8), 16);
      if (order == ByteOrder.LITTLE_ENDIAN) {
        v = Integer.reverseBytes(v);
      }
      raw[w * 4] = (byte) (v >>> 24);
      raw[w * 4 + 1] = (byte) (v >>> 16);
      raw[w * 4 + 2] = (byte) (v >>> 8);
      raw[w * 4 + 3] = (byte) v;
    }
    int port = Integer.parseInt(field.substring(colon + 1), 16);
    if (port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    boolean unspecified = true;
    for (byte b : raw) {
      unspecified &= b == 0;
    }
    return new Endpoint(Addresses.format(raw), port, unspecified);
  }

  /** The kernel prints SCTP addresses with %pI4 (dotted) and %pI6 (eight full groups). */
  private static byte[] parseTextAddress(String a) {
    if (a.indexOf(':') < 0) {
      String[] p = a.split("\\.");
      if (p.length != 4) {
        throw new IllegalArgumentException("not an IPv4 address: " + a);
      }
      byte[] raw = new byte[4];
      for (int i = 0; i < 4; i++) {
        int v = Integer.parseInt(p[i]);
        if (v < 0 || v > 255) {
          throw new IllegalArgumentException("not an IPv4 address: " + a);
        }
        raw[i] = (byte) v;
      }
      return raw;
    }
    String[] g = a.split(":", -1);
    if (g.length != 8) {
      throw new IllegalArgumentException("not a full IPv6 address (%pI6): " + a);
    }
    byte[] raw = new byte[16];
    for (int i = 0; i < 8; i++) {
      if (g[i].isEmpty() || g[i].length() > 4) {
        throw new IllegalArgumentException("not a full IPv6 address (%pI6): " + a);
      }
      int v = Integer.parseInt(g[i], 16);
      raw[i * 2] = (byte) (v >>> 8);
      raw[i * 2 + 1] = (byte) v;
    }
    return raw;
  }
}
