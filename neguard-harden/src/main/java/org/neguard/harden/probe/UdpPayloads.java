package org.neguard.harden.probe;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What to send to a UDP port so that a live service answers, and how to recognize the answer.
 * A UDP service ignores a datagram it does not understand, so an empty probe would leave every
 * open port "open|filtered": each service that matters for the forbidden list gets a real,
 * harmless request (a read of a public object, a NULL call, a file that does not exist).
 */
final class UdpPayloads {
  /** The UDP ports probed by {@code --udp-top N}, most important for an NE audit first. */
  static final int[] TOP = {
    161, 69, 111, 2049, 7, 37, 123, 1025, 514, 513, 9, 13, 19, 53, 137, 162, 500, 520, 1900, 5353,
    67, 68, 135, 138, 139, 445, 631, 1434, 1812, 1813, 2000, 3478, 4500, 5060, 11211, 17, 427,
    623, 1701, 5000
  };

  /**
   * One newline: the "empty" probe. RFC 868/867/864 servers answer any datagram, and a truly empty
   * one is not sent at all by {@code DatagramChannel.write}.
   */
  private static final byte[] NEWLINE = {'\n'};

  private UdpPayloads() {}

  /** A probe and how to read its answer. */
  record Probe(String service, byte[] payload, boolean replyFromOtherPort, int xid) {}

  static Probe probeFor(int port, int xid) {
    return switch (port) {
      case 161, 162 -> new Probe("snmp", snmpGetSysDescr("public"), false, xid);
      case 69 -> new Probe("tftp", tftpReadRequest(), true, xid);
      case 111 -> new Probe("rpcbind", Rpc.call(xid, Rpc.PORTMAPPER, 2, 0), false, xid);
      case 2049 -> new Probe("nfs", Rpc.call(xid, Rpc.NFS, 3, 0), false, xid);
      case 7 -> new Probe("echo", echoToken(xid), false, xid);
      case 37 -> new Probe("time", NEWLINE, false, xid);
      case 13 -> new Probe("daytime", NEWLINE, false, xid);
      case 19 -> new Probe("chargen", NEWLINE, false, xid);
      case 123 -> new Probe("ntp", ntpClientRequest(), false, xid);
      case 53 -> new Probe("dns", dnsVersionBind(xid), false, xid);
      default -> new Probe(null, NEWLINE, false, xid);
    };
  }

  /** An RPC NULL call for a port the portmapper says serves {@code program}. */
  static Probe rpcProbe(int program, int version, int xid) {
    return new Probe(Rpc.name(program), Rpc.call(xid, program, version, 0), false, xid);
  }

  /**
   * The service an answer proves, or null when the answer fits no known protocol (still proof
   * that the port is open).
   */
  static String identify(Probe probe, byte[] reply, int length) {
    if (probe.service() == null) {
      return null;
    }
    return switch (probe.service()) {
      case "snmp" -> length > 2 && reply[0] == 0x30 ? "snmp" : null;
      case "tftp" -> length >= 4 && reply[0] == 0 && (reply[1] == 3 || reply[1] == 5) ? "tftp" : null;
      case "echo" -> Arrays.equals(reply, 0, length, probe.payload(), 0, probe.payload().length) ? "echo" : null;
      case "time" -> plausibleTime(reply, length) ? "time" : null;
      case "daytime" -> length > 8 && printable(reply, length) ? "daytime" : null;
      case "chargen" -> length > 8 && printable(reply, length) ? "chargen" : null;
      case "ntp" -> length >= 48 && (reply[0] & 0x07) == 4 ? "ntp" : null;
      case "dns" -> length >= 12 && reply[0] == (byte) (probe.xid() >>> 8) && reply[1] == (byte) probe.xid() ? "dns" : null;
      default -> Rpc.acceptStatus(reply, 0, length, probe.xid()) >= 0 ? probe.service() : null;
    };
  }

  /** An SNMPv2c GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0), BER-encoded. */
  static byte[] snmpGetSysDescr(String community) {
    byte[] c = community.getBytes(StandardCharsets.US_ASCII);
    byte[] varbind = {0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};
    byte[] varbinds = concat(new byte[] {0x30, (byte) varbind.length}, varbind);
    byte[] pduBody = concat(new byte[] {0x02, 0x04, 0x4e, 0x47, 0x53, 0x31, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00}, varbinds);
    byte[] pdu = concat(new byte[] {(byte) 0xa0, (byte) pduBody.length}, pduBody);
    byte[] body = concat(concat(new byte[] {0x02, 0x01, 0x01, 0x04, (byte) c.length}, c), pdu);
    return concat(new byte[] {0x30, (byte) body.length}, body);
  }

  /** A TFTP read request (RFC 1350) for a file no server has, in octet mode. */
  static byte[] tftpReadRequest() {
    String name = "neguard-probe-" + Long.toHexString(System.nanoTime()) + ".none";
    ByteBuffer b = ByteBuffer.allocate(2 + name.length() + 1 + 6);
    b.putShort((short) 1).put(name.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
    b.put("octet".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
    return b.array();
  }

  /** A TFTP ERROR packet that ends a transfer a server may have started. */
  static byte[] tftpAbort() {
    return new byte[] {0, 5, 0, 0, 'n', 'o', 0};
  }

  /** An NTP v4 client request (mode 3). */
  static byte[] ntpClientRequest() {
    byte[] b = new byte[48];
    b[0] = 0x23;
    return b;
  }

  static byte[] dnsVersionBind(int xid) {
    byte[] q = HexFormat.of().parseHex("0000010000010000000000000776657273696f6e0462696e640000100003");
    q[0] = (byte) (xid >>> 8);
    q[1] = (byte) xid;
    return q;
  }

  static byte[] echoToken(int xid) {
    return ("neguard-echo-" + Integer.toHexString(xid)).getBytes(StandardCharsets.US_ASCII);
  }

  /** RFC 868: seconds since 1900 in the first four bytes, within a day of our clock. */
  static boolean plausibleTime(byte[] reply, int length) {
    if (length < 4) {
      return false;
    }
    long secs = ByteBuffer.wrap(reply, 0, 4).getInt() & 0xffffffffL;
    long now = Instant.now().getEpochSecond() + 2_208_988_800L;
    return Math.abs(secs - now) < 86_400;
  }

  private static boolean printable(byte[] b, int length) {
    for (int i = 0; i < length; i++) {
      int c = b[i] & 0xff;
      if (c != '\r' && c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e)) {
        return false;
      }
    }
    return true;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
