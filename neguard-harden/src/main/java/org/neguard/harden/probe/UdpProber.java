package org.neguard.harden.probe;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.neguard.harden.PortState;

/**
 * UDP probes with real payloads ({@link UdpPayloads}) on connected datagram channels, so that an
 * ICMP port-unreachable comes back as a {@link PortUnreachableException}: that is the only
 * conclusive "closed". A reply is "open"; silence after every retry is "open|filtered".
 *
 * <p>Linux limits ICMP errors per destination (net.ipv4.icmp_ratelimit, one a second after a
 * burst of six by default), so a burst of probes to closed ports gets only a few answers. The
 * first round goes out quickly; when it saw both ICMP answers and silence, rate limiting is the
 * likely cause and the retry rounds are paced at {@code pace} (one a second by default), which
 * lets each silent port earn its ICMP token before it is called open|filtered.
 *
 * <p>Not thread-safe: one probe run per instance.
 */
final class UdpProber {
  /** The conclusion for one port. */
  record Outcome(PortState state, String service, String evidence) {}

  private final InetAddress target;
  private final long timeoutNanos;
  private final int retries;
  private final long paceNanos;
  private final BooleanSupplier cancelled;
  private final ScanListener listener;
  boolean rateLimitSeen;
  boolean cancelledRun;

  UdpProber(InetAddress target, Duration timeout, int retries, Duration pace,
      BooleanSupplier cancelled, ScanListener listener) {
    this.target = target;
    this.timeoutNanos = timeout.toNanos();
    this.retries = retries;
    this.paceNanos = pace.toNanos();
    this.cancelled = cancelled;
    this.listener = listener;
  }

  private static final class Slot {
    final int port;
    final UdpPayloads.Probe probe;
    DatagramChannel connected;
    DatagramChannel unconnected;
    Outcome outcome;
    int sent;

    Slot(int port, UdpPayloads.Probe probe) {
      this.port = port;
      this.probe = probe;
    }
  }

  /**
   * Probes {@code ports}; {@code rpcPrograms} maps ports the portmapper listed to their program
   * and version, so they get an RPC NULL call instead of the port's default probe.
   */
  Map<Integer, Outcome> probe(int[] ports, Map<Integer, int[]> rpcPrograms) throws IOException {
    Map<Integer, Slot> slots = new LinkedHashMap<>();
    ProtocolFamily family = target instanceof java.net.Inet6Address
        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    SocketAddress anyLocal = new InetSocketAddress(0);
    long done = 0;
    try (Selector selector = Selector.open()) {
      for (int port : ports) {
        int xid = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
        int[] rpc = rpcPrograms.get(port);
        UdpPayloads.Probe probe = rpc != null
            ? UdpPayloads.rpcProbe(rpc[0], rpc[1], xid) : UdpPayloads.probeFor(port, xid);
        Slot s = new Slot(port, probe);
        s.connected = DatagramChannel.open(family);
        s.connected.configureBlocking(false);
        s.connected.connect(new InetSocketAddress(target, port));
        s.connected.register(selector, SelectionKey.OP_READ, s);
        if (probe.replyFromOtherPort()) {
          // TFTP answers from a new port (its transfer id): only an unconnected socket hears it.
          s.unconnected = DatagramChannel.open(family).bind(anyLocal);
          s.unconnected.configureBlocking(false);
          s.unconnected.register(selector, SelectionKey.OP_READ, s);
        }
        slots.put(port, s);
      }
      ByteBuffer buf = ByteBuffer.allocate(65536);
      int closedSoFar = 0;
      for (int round = 0; round <= retries; round++) {
        List<Slot> pending = new ArrayList<>();
        for (Slot s : slots.values()) {
          if (s.outcome == null) {
            pending.add(s);
          }
        }
        if (pending.isEmpty()) {
          break;
        }
        boolean paced = round > 0 && (rateLimitSeen || closedSoFar > 0);
        long gap = paced ? paceNanos : 20_000_000L;
        long start = System.nanoTime();
        int nextSend = 0;
        long lastSend = start;
        while (true) {
          if (cancelled.getAsBoolean()) {
            cancelledRun = true;
            return results(slots);
          }
          long now = System.nanoTime();
          if (nextSend < pending.size() && now >= start + nextSend * gap) {
            Slot s = pending.get(nextSend++);
            if (s.outcome == null) {
              send(s, buf);
              lastSend = now;
            }
            continue;
          }
          long until = nextSend < pending.size() ? start + nextSend * gap : lastSend + timeoutNanos;
          if (nextSend >= pending.size() && now >= until) {
            break;
          }
          selector.select(Math.max(1, (until - now) / 1_000_000L));
          Iterator<SelectionKey> it = selector.selectedKeys().iterator();
          while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            Slot s = (Slot) k.attachment();
            DatagramChannel ch = (DatagramChannel) k.channel();
            Outcome o = read(s, ch, buf, round);
            if (o != null && s.outcome == null) {
              s.outcome = o;
              done++;
              if (o.state() == PortState.CLOSED) {
                closedSoFar++;
              }
            }
          }
          boolean all = pending.stream().allMatch(p -> p.outcome != null);
          if (all) {
            break;
          }
          listener.progress("udp", done, slots.size());
        }
        if (round == 0) {
          boolean silent = slots.values().stream().anyMatch(s -> s.outcome == null);
          rateLimitSeen = silent && closedSoFar >= 6;
        }
      }
      listener.progress("udp", slots.size(), slots.size());
      return results(slots);
    } finally {
      for (Slot s : slots.values()) {
        close(s.connected);
        close(s.unconnected);
      }
    }
  }

  private void send(Slot s, ByteBuffer buf) throws IOException {
    s.sent++;
    try {
      s.connected.write(ByteBuffer.wrap(s.probe.payload()));
    } catch (PortUnreachableException e) {
      // The ICMP answer to an earlier probe arrived before this one went out.
      s.outcome = new Outcome(PortState.CLOSED, null, "ICMP port unreachable");
      return;
    }
    if (s.unconnected != null) {
      s.unconnected.send(ByteBuffer.wrap(s.probe.payload()), new InetSocketAddress(target, s.port));
    }
  }

  private Outcome read(Slot s, DatagramChannel ch, ByteBuffer buf, int round) {
    buf.clear();
    try {
      SocketAddress from;
      if (ch.isConnected()) {
        int n = ch.read(buf);
        if (n < 0) {
          return null;
        }
        from = ch.getRemoteAddress();
      } else {
        from = ch.receive(buf);
        if (from == null || !((InetSocketAddress) from).getAddress().equals(target)) {
          return null; // not from the target: ignore it
        }
        if (s.probe.replyFromOtherPort()) {
          // End the transfer the server began for our request, politely.
          ch.send(ByteBuffer.wrap(UdpPayloads.tftpAbort()), from);
        }
      }
      buf.flip();
      byte[] reply = new byte[buf.remaining()];
      buf.get(reply);
      String service = UdpPayloads.identify(s.probe, reply, reply.length);
      String evidence = (service != null ? service + " reply" : "reply") + " of " + reply.length
          + " byte(s) from " + from + ": " + preview(reply);
      return new Outcome(PortState.OPEN, service, evidence);
    } catch (PortUnreachableException e) {
      if (round > 0) {
        rateLimitSeen = true; // silent before, answered now: the first silence was the rate limit
      }
      return new Outcome(PortState.CLOSED, null,
          "ICMP port unreachable" + (s.sent > 1 ? " (to probe " + s.sent + ")" : ""));
    } catch (IOException e) {
      return null;
    }
  }

  private Map<Integer, Outcome> results(Map<Integer, Slot> slots) {
    Map<Integer, Outcome> out = new LinkedHashMap<>();
    for (Slot s : slots.values()) {
      if (s.outcome != null) {
        out.put(s.port, s.outcome);
      } else if (s.sent > retries) {
        out.put(s.port, new Outcome(PortState.OPEN_FILTERED, s.probe.service(),
            "no reply and no ICMP error to " + s.sent + " probe(s)"
                + (s.probe.service() == null ? "" : " (" + s.probe.service() + " payload)")));
      }
      // A port never fully probed (interrupted) gets no line: unknown, not open|filtered.
    }
    return out;
  }

  private static String preview(byte[] reply) {
    int n = Math.min(reply.length, 24);
    boolean text = true;
    for (int i = 0; i < n; i++) {
      int c = reply[i] & 0xff;
      text &= c == '\r' || c == '\n' || (c >= 0x20 && c < 0x7f);
    }
    if (text) {
      return "'" + new String(reply, 0, n, java.nio.charset.StandardCharsets.US_ASCII).strip() + "'";
    }
    return HexFormat.of().formatHex(reply, 0, n) + (reply.length > n ? "..." : "");
  }

  private static void close(DatagramChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }
}
