package org.neguard.harden.probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.Transport;

/**
 * Which NFS versions a host serves, and whether a separate mountd is there (a policy's {@code
 * nfs} with {@code versions: [v4]}): an ONC RPC NULL call (RFC 5531; no side effect, every server
 * answers it) to program 100003 in versions 2, 3 and 4 over TCP and UDP, the portmapper's list
 * (is mountd, program 100005, registered?), and NULL calls to mountd where one would listen.
 *
 * <p>What each answer proves: SUCCESS means the version is served; PROG_MISMATCH (which names
 * the versions the server does serve) or PROG_UNAVAIL, a reset or an ICMP port unreachable mean
 * it is not; silence means nothing answered; anything else (MSG_DENIED, a garbled reply) decides
 * nothing. For mountd any RPC answer but PROG_UNAVAIL proves a mountd, since PROG_MISMATCH comes
 * only from a program that runs.
 *
 * <p>Not thread-safe: one probe run per instance.
 */
final class NfsVersionProbe {
  /** The IANA port of mountd (20048, "mountd"), where Linux and Ganesha put a fixed one. */
  static final int MOUNTD_PORT = 20048;
  private static final int[] NFS_VERSIONS = {2, 3, 4};
  private static final int MOUNT_V3 = 3;

  private final InetAddress target;
  private final Duration timeout;
  private final int retries;

  NfsVersionProbe(InetAddress target, Duration timeout, int retries) {
    this.target = target;
    this.timeout = timeout;
    this.retries = retries;
  }

  /** NULL calls to NFS versions 2, 3 and 4 on {@code port}, over TCP, then over UDP. */
  List<ProtocolProbe> nfs(int port, boolean udp) {
    List<ProtocolProbe> out = new ArrayList<>();
    for (int v : NFS_VERSIONS) {
      out.add(nfsCall(Transport.TCP, port, v));
    }
    if (udp) {
      for (int v : NFS_VERSIONS) {
        out.add(nfsCall(Transport.UDP, port, v));
      }
    }
    return out;
  }

  private ProtocolProbe nfsCall(Transport t, int port, int version) {
    Reply r = call(t, port, Rpc.NFS, version);
    String request = "RPC NULL to nfs (100003) version " + version;
    Result result;
    String detail;
    if (r.status() == null) {
      result = r.result();
      detail = r.detail();
    } else if (r.status() == 0) {
      result = Result.SERVED;
      detail = "accepted (SUCCESS): NFSv" + version + " is served";
    } else if (r.status() == Rpc.PROG_MISMATCH) {
      result = Result.REFUSED;
      detail = "PROG_MISMATCH" + (r.range() == null ? ""
          : ": the server serves NFS versions " + r.range()[0] + " to " + r.range()[1]);
    } else if (r.status() == Rpc.PROG_UNAVAIL) {
      result = Result.REFUSED;
      detail = "PROG_UNAVAIL: no NFS at this port";
    } else {
      result = Result.UNDECIDED;
      detail = "answered " + Rpc.statusName(r.status()) + ", which says neither yes nor no";
    }
    return new ProtocolProbe("nfs", t, port, "v" + version, request, result, detail);
  }

  /**
   * Whether mountd is registered with the portmapper: {@code dump} is the portmapper's list
   * (null when it could not be read), {@code portmapper} what the scan saw of TCP 111.
   */
  static ProtocolProbe registration(List<Rpc.Mapping> dump, String portmapper, boolean closed) {
    String request = "portmapper DUMP (RFC 1833) on tcp/111: is mountd (100005) registered";
    if (dump == null) {
      return new ProtocolProbe("mountd", Transport.TCP, 111, "any", request,
          closed ? Result.REFUSED : Result.UNDECIDED,
          closed ? "no portmapper: tcp/111 is closed, so nothing is registered"
              : "the portmapper's list could not be read (" + portmapper + ")");
    }
    List<String> mountd = dump.stream().filter(m -> m.program() == Rpc.MOUNT)
        .map(m -> "mountd v" + m.version() + " " + m.transport() + "/" + m.port()).toList();
    return new ProtocolProbe("mountd", Transport.TCP, 111, "any", request,
        mountd.isEmpty() ? Result.REFUSED : Result.SERVED,
        mountd.isEmpty() ? "registered: " + dump.size() + " mapping(s), no mountd"
            : "registered: " + String.join(", ", mountd));
  }

  /**
   * NULL calls to mountd version 3 over TCP and UDP on {@link #MOUNTD_PORT} and every port the
   * portmapper gave mountd.
   */
  List<ProtocolProbe> mountd(List<Rpc.Mapping> dump) {
    Set<Integer> tcp = new TreeSet<>(List.of(MOUNTD_PORT));
    Set<Integer> udp = new TreeSet<>(List.of(MOUNTD_PORT));
    if (dump != null) {
      for (Rpc.Mapping m : dump) {
        if (m.program() == Rpc.MOUNT) {
          (m.protocol() == 17 ? udp : tcp).add(m.port());
        }
      }
    }
    List<ProtocolProbe> out = new ArrayList<>();
    tcp.forEach(p -> out.add(mountdCall(Transport.TCP, p)));
    udp.forEach(p -> out.add(mountdCall(Transport.UDP, p)));
    return out;
  }

  private ProtocolProbe mountdCall(Transport t, int port) {
    Reply r = call(t, port, Rpc.MOUNT, MOUNT_V3);
    String request = "RPC NULL to mountd (100005) version 3";
    Result result;
    String detail;
    if (r.status() == null) {
      result = r.result();
      detail = r.detail();
    } else if (r.status() == Rpc.PROG_UNAVAIL) {
      result = Result.REFUSED;
      detail = "PROG_UNAVAIL: an RPC server without mountd";
    } else if (r.status() == 0 || r.status() == Rpc.PROG_MISMATCH) {
      result = Result.SERVED;
      detail = "answered " + Rpc.statusName(r.status()) + ": a mountd runs here"
          + (r.range() == null ? "" : " (versions " + r.range()[0] + " to " + r.range()[1] + ")");
    } else {
      result = Result.UNDECIDED;
      detail = "answered " + Rpc.statusName(r.status()) + ", which says neither yes nor no";
    }
    return new ProtocolProbe("mountd", t, port, "v3", request, result, detail);
  }

  /**
   * One NULL call: the accept status (and PROG_MISMATCH's range), or, with a null status, the
   * result and why when no RPC reply came.
   */
  private record Reply(Integer status, int[] range, Result result, String detail) {}

  private Reply call(Transport t, int port, int program, int version) {
    int xid = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
    byte[] call = Rpc.call(xid, program, version, 0);
    return t == Transport.TCP ? tcp(port, call, xid) : udp(port, call, xid);
  }

  private Reply tcp(int port, byte[] call, int xid) {
    int millis = (int) timeout.toMillis();
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress(target, port), millis);
      } catch (ConnectException e) {
        return new Reply(null, null, Result.REFUSED, "connection refused: nothing listens on tcp/"
            + port);
      } catch (SocketTimeoutException e) {
        // A dropped SYN: a filter may hide a server, so silence decides nothing here.
        return new Reply(null, null, Result.UNDECIDED, "no answer to the connection (filtered?)");
      }
      s.setSoTimeout(millis);
      s.getOutputStream().write(Rpc.recordMarked(call));
      s.getOutputStream().flush();
      byte[] fragment = readRecord(s.getInputStream());
      if (fragment == null) {
        return new Reply(null, null, Result.SILENT, "connected; no RPC reply before the connection"
            + " closed or " + millis + " ms passed");
      }
      return decode(fragment, xid);
    } catch (IOException e) {
      return new Reply(null, null, Result.UNDECIDED, "the exchange failed: " + e.getMessage());
    }
  }

  /** Reads one record-marked fragment (RFC 5531 section 11), at most 64 KiB; null on silence. */
  private static byte[] readRecord(InputStream in) throws IOException {
    try {
      byte[] mark = in.readNBytes(4);
      if (mark.length < 4) {
        return null;
      }
      int len = ByteBuffer.wrap(mark).getInt() & 0x7fffffff;
      if (len > 65536) {
        throw new IOException("an RPC fragment of " + len + " bytes");
      }
      byte[] body = in.readNBytes(len);
      return body.length == len ? body : null;
    } catch (SocketTimeoutException e) {
      return null;
    }
  }

  private Reply udp(int port, byte[] call, int xid) {
    try (DatagramChannel ch = DatagramChannel.open()) {
      // Connected, so that an ICMP port unreachable comes back as an exception (UdpProber).
      ch.connect(new InetSocketAddress(target, port));
      ch.socket().setSoTimeout((int) timeout.toMillis());
      ByteBuffer buf = ByteBuffer.allocate(65536);
      for (int attempt = 0; attempt <= retries; attempt++) {
        ch.write(ByteBuffer.wrap(call));
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
          buf.clear();
          int n = receive(ch, buf, end);
          if (n > 0) {
            Reply r = decode(java.util.Arrays.copyOf(buf.array(), n), xid);
            if (r.status() != null) {
              return r;
            }
          }
        }
      }
      return new Reply(null, null, Result.SILENT, "no reply and no ICMP error to " + (retries + 1)
          + " datagram(s)");
    } catch (PortUnreachableException e) {
      return new Reply(null, null, Result.REFUSED, "ICMP port unreachable: nothing listens on udp/"
          + port);
    } catch (IOException e) {
      return new Reply(null, null, Result.UNDECIDED, "the exchange failed: " + e.getMessage());
    }
  }

  /** Reads a datagram until {@code end} (System.nanoTime), through a socket adaptor timeout. */
  private static int receive(DatagramChannel ch, ByteBuffer buf, long end) throws IOException {
    java.net.DatagramPacket p = new java.net.DatagramPacket(buf.array(), buf.capacity());
    int wait = (int) Math.max(1, (end - System.nanoTime()) / 1_000_000L);
    ch.socket().setSoTimeout(wait);
    try {
      ch.socket().receive(p);
      return p.getLength();
    } catch (SocketTimeoutException e) {
      return 0;
    }
  }

  private static Reply decode(byte[] reply, int xid) {
    int status = Rpc.acceptStatus(reply, 0, reply.length, xid);
    if (status < 0) {
      return new Reply(null, null, Result.UNDECIDED, "a reply that is no RPC answer to this call: "
          + TcpServiceProbe.preview(reply));
    }
    return new Reply(status, Rpc.mismatchRange(reply, 0, reply.length, xid), null, null);
  }
}
