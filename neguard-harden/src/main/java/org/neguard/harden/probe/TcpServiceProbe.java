package org.neguard.harden.probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Identifies the service behind an open TCP port by what it says first (FTP {@code 220}, the
 * SSH version line, Telnet IAC option negotiation, an RFC 868 time) and, when it says nothing,
 * by a handshake of the protocol the port suggests: SMB2 NEGOTIATE, an ONC RPC NULL call, the
 * rlogin and rsh handshakes, a finger query, an echo, an HTTP request. No probe logs in, runs a
 * command or changes anything: rsh is given a user that does not exist and an empty command.
 *
 * <p>Thread-safe: each call uses its own connections.
 */
final class TcpServiceProbe {
  /** What was identified. */
  record Identification(String service, String evidence) {}

  private final InetAddress target;
  private final int connectTimeoutMillis;
  private final int readTimeoutMillis;

  TcpServiceProbe(InetAddress target, Duration connectTimeout, Duration readTimeout) {
    this.target = target;
    this.connectTimeoutMillis = (int) connectTimeout.toMillis();
    this.readTimeoutMillis = (int) readTimeout.toMillis();
  }

  /**
   * @param rpcPorts what the portmapper said runs on TCP ports: program name by port
   */
  Identification identify(int port, Map<Integer, String> rpcPorts) {
    byte[] banner = exchange(port, null, false);
    if (banner == null) {
      return new Identification(null, "connection refused or dropped while identifying");
    }
    if (banner.length > 0) {
      Identification id = fromBanner(port, banner);
      if (id != null) {
        return id;
      }
    }
    for (String probe : probesFor(port, rpcPorts)) {
      Identification id = handshake(probe, port, rpcPorts);
      if (id != null) {
        return id;
      }
    }
    if (banner.length > 0) {
      return new Identification(null, "unrecognized banner: " + preview(banner));
    }
    return new Identification(null, "no banner within " + readTimeoutMillis
        + " ms and no answer to the " + String.join(", ", probesFor(port, rpcPorts)) + " probe(s)");
  }

  static Identification fromBanner(int port, byte[] b) {
    String text = new String(b, StandardCharsets.ISO_8859_1);
    if (text.startsWith("SSH-")) {
      return new Identification("ssh", "banner " + firstLine(text));
    }
    if ((b[0] & 0xff) == 0xff && b.length >= 2 && (b[1] & 0xff) >= 0xfb && (b[1] & 0xff) <= 0xfe) {
      return new Identification("telnet", "Telnet IAC option negotiation: " + preview(b));
    }
    if (text.startsWith("220")) {
      String line = firstLine(text);
      boolean smtp = line.contains("SMTP") || line.contains("ESMTP");
      return new Identification(smtp ? "smtp" : "ftp", "banner " + line);
    }
    if (b.length >= 4 && b.length <= 8 && UdpPayloads.plausibleTime(b, b.length)) {
      return new Identification("time", "RFC 868 time: " + HexFormat.of().formatHex(b, 0, 4) + " is now");
    }
    if (text.startsWith("+OK")) {
      return new Identification("pop3", "banner " + firstLine(text));
    }
    if (text.startsWith("* OK")) {
      return new Identification("imap", "banner " + firstLine(text));
    }
    return null;
  }

  private static List<String> probesFor(int port, Map<Integer, String> rpcPorts) {
    List<String> p = new ArrayList<>();
    if (rpcPorts.containsKey(port) || port == 111 || port == 2049) {
      p.add("rpc");
    }
    switch (port) {
      case 445, 139 -> p.add("smb");
      case 513 -> p.add("rlogin");
      case 514 -> p.add("rsh");
      case 79 -> p.add("finger");
      default -> { }
    }
    if (!p.contains("rpc") && !p.contains("smb")) {
      p.add("echo");
      p.add("http");
    }
    return p;
  }

  private Identification handshake(String probe, int port, Map<Integer, String> rpcPorts) {
    switch (probe) {
      case "rpc": {
        int xid = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
        String name = rpcPorts.getOrDefault(port, port == 2049 ? "nfs" : "rpcbind");
        int program = Rpc.NAMES.entrySet().stream().filter(e -> e.getValue().equals(name))
            .map(Map.Entry::getKey).findFirst().orElse(port == 2049 ? Rpc.NFS : Rpc.PORTMAPPER);
        int version = program == Rpc.NFS ? 3 : program == Rpc.PORTMAPPER ? 2 : 1;
        byte[] r = exchange(port, Rpc.recordMarked(Rpc.call(xid, program, version, 0)), true);
        if (r != null && r.length >= 28) {
          int status = Rpc.acceptStatus(r, 4, r.length - 4, xid);
          if (status >= 0) {
            return new Identification(name, "ONC RPC reply to a NULL call for program " + program
                + " (" + name + ") v" + version + ", accept status " + status);
          }
        }
        return null;
      }
      case "smb": {
        byte[] r = exchange(port, smb2Negotiate(), true);
        if (r != null && r.length >= 8 && r[0] == 0) {
          String magic = new String(r, 5, 3, StandardCharsets.ISO_8859_1);
          if (magic.equals("SMB") && ((r[4] & 0xff) == 0xfe || (r[4] & 0xff) == 0xff)) {
            String dialect = "";
            if ((r[4] & 0xff) == 0xfe && r.length >= 4 + 64 + 6) {
              int d = (r[4 + 64 + 4] & 0xff) | (r[4 + 64 + 5] & 0xff) << 8;
              dialect = String.format(", dialect 0x%04x", d);
            }
            return new Identification("smb", "SMB" + ((r[4] & 0xff) == 0xfe ? "2" : "1")
                + " NEGOTIATE response" + dialect);
          }
        }
        return null;
      }
      case "rlogin": {
        // Client user, server user, terminal: the server answers one NUL byte, or \1 and an error
        // (netkit rlogind refuses unprivileged source ports that way).
        byte[] hello = "\0neguard-probe\0neguard-probe\0dumb/9600\0".getBytes(StandardCharsets.US_ASCII);
        byte[] r = exchangeFromPrivilegedPort(port, hello);
        if (r != null && r.length >= 1 && (r[0] == 0 || r[0] == 1)) {
          return new Identification("rlogin", "rlogin handshake answered: " + preview(r));
        }
        return null;
      }
      case "rsh": {
        // No stderr port, a user that does not exist, an empty command: the server checks the
        // user and refuses ("\1..."); nothing can run.
        byte[] hello = "0\0neguard-probe\0neguard-probe\0\0".getBytes(StandardCharsets.US_ASCII);
        byte[] r = exchangeFromPrivilegedPort(port, hello);
        if (r != null && r.length >= 1 && (r[0] == 0 || r[0] == 1)) {
          return new Identification("rsh", "rsh handshake answered: " + preview(r));
        }
        return null;
      }
      case "finger": {
        byte[] r = exchange(port, "\r\n".getBytes(StandardCharsets.US_ASCII), true);
        if (r != null && r.length > 0 && printable(r)) {
          return new Identification("finger", "finger query answered: " + preview(r));
        }
        return null;
      }
      case "echo": {
        byte[] token = ("neguard-echo-" + Long.toHexString(System.nanoTime()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] r = exchange(port, token, false);
        if (r != null && r.length >= token.length && java.util.Arrays.equals(r, 0, token.length, token, 0, token.length)) {
          return new Identification("echo", "echoed a " + token.length + "-byte token");
        }
        return null;
      }
      case "http": {
        byte[] r = exchange(port, "HEAD / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII), true);
        if (r != null && new String(r, StandardCharsets.ISO_8859_1).startsWith("HTTP/")) {
          return new Identification("http", "HTTP response " + firstLine(new String(r, StandardCharsets.ISO_8859_1)));
        }
        return null;
      }
      default:
        throw new IllegalStateException("unknown probe " + probe);
    }
  }

  /**
   * An SMB2 NEGOTIATE request (MS-SMB2 2.2.3) offering dialects 2.0.2 and 2.1, in a NetBIOS
   * session message.
   */
  static byte[] smb2Negotiate() {
    ByteBuffer h = ByteBuffer.allocate(64 + 36 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    h.put(new byte[] {(byte) 0xfe, 'S', 'M', 'B'});
    h.putShort((short) 64); // structure size
    h.putShort((short) 0); // credit charge
    h.putInt(0); // status
    h.putShort((short) 0); // command NEGOTIATE
    h.putShort((short) 1); // credits requested
    h.putInt(0); // flags
    h.putInt(0); // next command
    h.putLong(0); // message id
    h.putInt(0); // reserved
    h.putInt(0); // tree id
    h.putLong(0); // session id
    h.put(new byte[16]); // signature
    h.putShort((short) 36); // negotiate structure size
    h.putShort((short) 2); // dialect count
    h.putShort((short) 1); // security mode: signing enabled
    h.putShort((short) 0); // reserved
    h.putInt(0); // capabilities
    h.put(new byte[16]); // client guid
    h.putLong(0); // client start time
    h.putShort((short) 0x0202).putShort((short) 0x0210);
    byte[] body = h.array();
    ByteBuffer m = ByteBuffer.allocate(4 + body.length);
    m.putInt(body.length); // NetBIOS session message: type 0, 24-bit length
    m.put(body);
    return m.array();
  }

  /**
   * Connects, sends {@code request} (if any), and reads what comes back until the read timeout,
   * the peer closes, or (when {@code untilQuiet}) a short pause after the first bytes.
   *
   * @return the bytes read (empty if nothing came), or null if the connection failed
   */
  byte[] exchange(int port, byte[] request, boolean untilQuiet) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(target, port), connectTimeoutMillis);
      return talk(s, request, untilQuiet);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The BSD r-services answer only clients on a reserved source port (512-1023); as root the
   * probe takes one, otherwise the server's refusal is the answer.
   */
  private byte[] exchangeFromPrivilegedPort(int port, byte[] request) {
    for (int attempt = 0; attempt < 8; attempt++) {
      int local = 600 + ThreadLocalRandom.current().nextInt(400);
      try (Socket s = new Socket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(local));
        s.connect(new InetSocketAddress(target, port), connectTimeoutMillis);
        return talk(s, request, true);
      } catch (BindException e) {
        if (!"root".equals(System.getProperty("user.name"))) {
          break;
        }
      } catch (IOException e) {
        return null;
      }
    }
    return exchange(port, request, true);
  }

  private byte[] talk(Socket s, byte[] request, boolean untilQuiet) throws IOException {
    s.setSoTimeout(readTimeoutMillis);
    if (request != null) {
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
    }
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    long end = System.nanoTime() + readTimeoutMillis * 1_000_000L;
    try {
      while (got.size() < 8192) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        got.write(buf, 0, n);
        if (untilQuiet || got.size() > 0) {
          s.setSoTimeout(150); // what came at once is enough
        }
        if (System.nanoTime() > end) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      // Quiet now: what we have is the answer.
    } catch (IOException e) {
      if (got.size() == 0) {
        return new byte[0]; // reset by the peer without a word
      }
    }
    return got.toByteArray();
  }

  static String preview(byte[] b) {
    int n = Math.min(b.length, 48);
    StringBuilder sb = new StringBuilder("'");
    for (int i = 0; i < n; i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.append(b.length > n ? "'..." : "'").toString();
  }

  private static String firstLine(String text) {
    int nl = text.indexOf('\n');
    String line = (nl < 0 ? text : text.substring(0, nl)).strip();
    return line.length() > 120 ? line.substring(0, 120) + "..." : line;
  }

  private static boolean printable(byte[] r) {
    for (byte x : r) {
      int c = x & 0xff;
      if (c != '\r' && c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e)) {
        return false;
      }
    }
    return true;
  }
}
