package org.neguard.harden.probe;

import org.neguard.io.HostName;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The remote scan of one host (HRD-3): a TCP connect scan of the requested ports, service
 * identification of every open one, UDP probes with real payloads, the SNMP write probe, and the
 * SCTP association probe, into one {@link Observation} with source {@code scan}.
 *
 * <p>What the scan could not conclude is never reported as open or closed: silent TCP ports are
 * {@link PortState#FILTERED}, silent UDP ports {@link PortState#OPEN_FILTERED}, SCTP ports on a
 * host without SCTP {@link PortState#NOT_CHECKED}. A scan that is cancelled ({@link #cancel()},
 * or the scanning thread interrupted) returns what it has with {@code complete=false}.
 *
 * <p>Use one instance per scan; {@link #cancel()} may be called from any thread.
 */
public final class HardenScanner {
  private static final String TOOL = "NEGuard " + version();
  /** The note of a scan without identification: what it skipped and what that leaves open. */
  static final String NOT_IDENTIFIED = "--no-identify: no portmapper DUMP, no SNMP, NFS or mountd"
      + " version probe, no banner or handshake: a policy's protocol-version rules and the"
      + " forbidden list's service names (telnet, nfs and mountd by RPC program, ...) cannot be"
      + " checked from this observation; scan again without --no-identify for that";

  private final ScanOptions options;
  private final ScanListener listener;
  private volatile boolean cancelled;
  private volatile Thread scanning;

  private HardenScanner(ScanOptions options, ScanListener listener) {
    this.options = options;
    this.listener = listener;
  }

  public static HardenScanner create(ScanOptions options, ScanListener listener) {
    return new HardenScanner(options, listener == null ? ScanListener.NONE : listener);
  }

  /** Stops the scan as soon as possible; {@link #scan} then returns an incomplete observation. */
  public void cancel() {
    cancelled = true;
  }

  private boolean stopped() {
    Thread t = scanning;
    return cancelled || (t != null && t.isInterrupted());
  }

  /**
   * Scans {@code host}.
   *
   * @throws RefusalException {@code TARGET_UNREACHABLE} when the name does not resolve, there is
   *     no route to it, or not a single probe was answered (nothing to audit: never a pass);
   *     {@code IO_ERROR} when this host cannot open sockets
   */
  public Observation scan(String host) throws RefusalException {
    scanning = Thread.currentThread();
    Instant started = Instant.now();
    InetAddress target;
    try {
      target = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw RefusalException.about(ReasonCode.TARGET_UNREACHABLE, host,
          "cannot resolve " + host + ": give an address or a name this host can resolve");
    }
    List<ObservedPort> ports = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<ProtocolProbe> protocolProbes = new ArrayList<>();
    Map<String, String> parameters = parameters(host, target);
    String stage = "tcp";
    boolean complete = true;
    List<String> unscanned = otherAddresses(host, target);
    if (!unscanned.isEmpty()) {
      // A service bound only to the other family's address would be missed: never complete.
      complete = false;
      notes.add(host + " also resolves to " + String.join(", ", unscanned) + ", which this scan"
          + " did not examine: scan each address with --target ADDRESS");
    }
    try {
      // 1. TCP connect scan.
      TcpConnectScanner.Result tr = TcpConnectScanner.scanParallel(target, options.tcpPorts().toArray(),
          Runtime.getRuntime().availableProcessors(), options.concurrency(), options.tcpTimeout(),
          options.tcpRetries(), this::stopped, listener);
      if (tr.unreachable != null) {
        throw RefusalException.about(ReasonCode.TARGET_UNREACHABLE, host,
            tr.unreachable + ": check the address and the route to it");
      }
      List<Integer> openTcp = new ArrayList<>();
      for (int p : options.tcpPorts().toArray()) {
        PortState s = tr.state[p];
        if (s == PortState.OPEN) {
          openTcp.add(p);
        } else if (s == PortState.FILTERED) {
          ports.add(new ObservedPort(Transport.TCP, target.getHostAddress(), p, PortState.FILTERED, null, tr.detail[p], null, List.of()));
        } else if (s == null) {
          // A port no worker reached is not a closed port.
          ports.add(new ObservedPort(Transport.TCP, target.getHostAddress(), p,
              PortState.NOT_CHECKED, null, "not probed: the sweep ended before reaching it",
              null, List.of()));
          complete = false;
        }
      }
      notes.add("TCP: " + tr.open + " open, " + tr.closed + " closed (reset), " + tr.filtered
          + " filtered (no answer) of " + options.tcpPorts().size() + " port(s)");
      if (tr.cancelled) {
        throw new Interrupted("tcp");
      }

      // 2. RPC programs via the portmapper, then service identification of the open TCP ports.
      // The DUMP is identification (it names the programs behind ports): a bare sweep
      // (--no-identify) skips it, and what needs its list cannot pass (docs/HARDENING.md).
      stage = "services";
      Map<Integer, String> rpcTcp = new HashMap<>();
      Map<Integer, int[]> rpcUdp = new HashMap<>();
      List<Rpc.Mapping> dump = null;
      if (options.identify() && openTcp.contains(111)) {
        dump = portmapperDump(target, rpcTcp, rpcUdp, notes);
      }
      TcpServiceProbe identify = new TcpServiceProbe(target, options.tcpTimeout().multipliedBy(2), options.bannerTimeout());
      Map<Integer, TcpServiceProbe.Identification> ids = options.identify()
          ? identifyAll(identify, openTcp, rpcTcp) : Map.of();
      for (int p : openTcp) {
        TcpServiceProbe.Identification id = ids.get(p);
        ports.add(ServiceCpe.identified(new ObservedPort(Transport.TCP, target.getHostAddress(), p, PortState.OPEN,
            id == null ? null : id.service(), id != null ? id.evidence() : options.identify() ? "not identified (interrupted)" : "connected; service identification not requested", null, List.of())));
      }
      if (stopped()) {
        throw new Interrupted("services");
      }

      // 3. UDP probes.
      stage = "udp";
      boolean udpAnswered = false;
      if (options.udpPorts().size() > 0) {
        UdpProber udp = new UdpProber(target, options.udpTimeout(), options.udpRetries(), options.udpPace(),
            this::stopped, listener);
        Map<Integer, UdpProber.Outcome> ur = udp.probe(options.udpPorts().toArray(), rpcUdp);
        List<Integer> closedUdp = new ArrayList<>();
        List<Integer> openFilteredUdp = new ArrayList<>();
        for (Map.Entry<Integer, UdpProber.Outcome> e : ur.entrySet()) {
          UdpProber.Outcome o = e.getValue();
          udpAnswered |= o.state() == PortState.OPEN || o.state() == PortState.CLOSED;
          if (o.state() == PortState.CLOSED) {
            closedUdp.add(e.getKey());
          } else if (o.state() == PortState.OPEN_FILTERED) {
            openFilteredUdp.add(e.getKey());
          }
          ports.add(new ObservedPort(Transport.UDP, target.getHostAddress(), e.getKey(), o.state(), o.service(), o.evidence(), null, List.of()));
        }
        notes.add("UDP: conclusively closed (ICMP port unreachable): " + (closedUdp.isEmpty() ? "none" : closedUdp)
            + "; open|filtered (no reply, no ICMP): " + (openFilteredUdp.isEmpty() ? "none" : openFilteredUdp));
        if (udp.rateLimitSeen) {
          notes.add("UDP: ICMP rate limiting seen (first probes to closed ports went unanswered); retries were paced at "
              + options.udpPace().toMillis() + " ms");
        }
        if (udp.cancelledRun) {
          throw new Interrupted("udp");
        }
      }
      if (tr.open == 0 && tr.closed == 0 && !udpAnswered) {
        throw RefusalException.about(ReasonCode.TARGET_UNREACHABLE, host,
            "no probe to " + target.getHostAddress() + " was answered (every TCP port silent, no UDP reply or ICMP error):"
                + " the host is down or drops everything; nothing was audited");
      }

      // 4. SNMP write probe where something may speak SNMP: udp/161, and tcp/161 (RFC 3430,
      // net-snmp's agentaddress tcp:161), where an agent can serve what it refuses over UDP.
      stage = "snmp";
      if (!options.communities().isEmpty()) {
        if (options.udpPorts().contains(161)) {
          snmpWrite(target, Transport.UDP, ports, notes);
        }
        if (openTcp.contains(161)) {
          snmpWrite(target, Transport.TCP, ports, notes);
        }
      }
      if (stopped()) {
        throw new Interrupted("snmp");
      }

      // 4b. Protocol versions: which SNMP and NFS versions answer, whatever the policy allows
      // (the evaluation judges them against it; docs/HARDENING.md, "Protocol versions"). They
      // identify versions, so a bare sweep skips them: on a silent listener at 111 or 2049 they
      // would wait out their timeouts, and nmap -sT sends no such request either.
      stage = "versions";
      if (options.identify()) {
        snmpVersions(target, ports, protocolProbes);
        if (stopped()) {
          throw new Interrupted("versions");
        }
        PortState tcp111 = options.tcpPorts().contains(111) ? tr.state[111] : null;
        nfsVersions(target, ports, dump, tcp111, protocolProbes);
        if (stopped()) {
          throw new Interrupted("versions");
        }
      } else {
        notes.add(NOT_IDENTIFIED);
      }
      if (!protocolProbes.isEmpty()) {
        notes.add(versionSummary(protocolProbes));
      }

      // 5. SCTP.
      stage = "sctp";
      int[] sctp = options.sctpPorts().toArray();
      if (sctp.length > 0) {
        Optional<String> why = SctpProbe.unavailable();
        if (why.isPresent()) {
          for (int p : sctp) {
            ports.add(new ObservedPort(Transport.SCTP, target.getHostAddress(), p, PortState.NOT_CHECKED, null,
                "not checked: " + why.get(), null, List.of()));
          }
          notes.add("SCTP: " + sctp.length + " port(s) not checked: " + why.get()
              + "; they are neither open nor closed as far as this scan knows");
        } else {
          SctpProbe.probe(target, sctp, options.tcpTimeout().multipliedBy(2)).forEach((p, o) ->
              ports.add(new ObservedPort(Transport.SCTP, target.getHostAddress(), p, o.state(), null, o.evidence(), null, List.of())));
        }
      }
    } catch (Interrupted e) {
      complete = false;
      notes.add("INCOMPLETE: the scan was interrupted during the " + e.getMessage()
          + " phase; ports not reached are missing from this observation");
    } catch (IOException e) {
      if (stopped()) {
        complete = false;
        notes.add("INCOMPLETE: the scan was interrupted during the " + stage + " phase");
      } else {
        throw new RefusalException(ReasonCode.IO_ERROR, "the " + stage + " phase failed: " + e.getMessage(), e);
      }
    }
    if (stopped() && complete) {
      complete = false;
      notes.add("INCOMPLETE: the scan was interrupted at its end");
    }
    ports.sort(Comparator.comparing(ObservedPort::transport).thenComparingInt(ObservedPort::port));
    return new Observation("scan", host, HostName.local(), TOOL, started, Instant.now(), complete,
        parameters, ports, notes, protocolProbes);
  }

  private static final class Interrupted extends Exception {
    private static final long serialVersionUID = 1L;

    Interrupted(String phase) {
      super(phase, null, false, false);
    }
  }

  private Map<Integer, TcpServiceProbe.Identification> identifyAll(TcpServiceProbe probe, List<Integer> open,
      Map<Integer, String> rpc) {
    Map<Integer, TcpServiceProbe.Identification> out = new LinkedHashMap<>();
    if (open.isEmpty()) {
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(16, open.size()), r -> {
      Thread t = new Thread(r, "neguard-identify");
      t.setDaemon(true);
      return t;
    });
    try {
      Map<Integer, Future<TcpServiceProbe.Identification>> futures = new LinkedHashMap<>();
      AtomicLong done = new AtomicLong();
      for (int p : open) {
        futures.put(p, pool.submit(() -> {
          TcpServiceProbe.Identification id = stopped() ? null : probe.identify(p, rpc);
          listener.progress("services", done.incrementAndGet(), open.size());
          return id;
        }));
      }
      for (Map.Entry<Integer, Future<TcpServiceProbe.Identification>> e : futures.entrySet()) {
        try {
          TcpServiceProbe.Identification id = e.getValue().get();
          if (id != null) {
            out.put(e.getKey(), id);
          }
        } catch (InterruptedException ie) {
          scanning.interrupt();
          break;
        } catch (java.util.concurrent.ExecutionException ee) {
          out.put(e.getKey(), new TcpServiceProbe.Identification(null, "identification failed: " + ee.getCause()));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return out;
  }

  /** Asks the portmapper (TCP 111) which RPC programs run on which ports (RFC 1833 DUMP). */
  private List<Rpc.Mapping> portmapperDump(InetAddress target, Map<Integer, String> rpcTcp, Map<Integer, int[]> rpcUdp, List<String> notes) {
    int xid = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
    TcpServiceProbe t = new TcpServiceProbe(target, options.tcpTimeout().multipliedBy(2), options.bannerTimeout());
    byte[] r = t.exchange(111, Rpc.recordMarked(Rpc.call(xid, Rpc.PORTMAPPER, 2, 4)), true);
    if (r == null || r.length < 8) {
      notes.add("RPC: the portmapper on TCP 111 did not answer a DUMP");
      return null;
    }
    int fragment = ByteBuffer.wrap(r, 0, 4).getInt() & 0x7fffffff;
    List<Rpc.Mapping> maps = Rpc.parseDump(r, 4, Math.min(fragment, r.length - 4), xid);
    List<String> listed = new ArrayList<>();
    for (Rpc.Mapping m : maps) {
      listed.add(Rpc.name(m.program()) + " (" + m.program() + ") v" + m.version() + " " + m.transport() + "/" + m.port());
      if (m.protocol() == 6) {
        rpcTcp.putIfAbsent(m.port(), Rpc.name(m.program()));
      } else if (m.protocol() == 17) {
        rpcUdp.merge(m.port(), new int[] {m.program(), m.version()}, (a, b) -> a[1] <= b[1] ? a : b);
      }
    }
    notes.add("RPC: portmapper lists " + (listed.isEmpty() ? "no program" : String.join(", ", listed)));
    return maps;
  }

  /**
   * The SNMP write probe on 161 over {@code transport} when something may speak SNMP there (UDP:
   * open or open|filtered; TCP: open); an answer makes the port open and names it snmp.
   */
  private void snmpWrite(InetAddress target, Transport transport, List<ObservedPort> ports,
      List<String> notes) throws IOException {
    int i = indexOf(ports, transport, 161);
    ObservedPort p161 = i < 0 ? null : ports.get(i);
    if (p161 == null
        || !(p161.state() == PortState.OPEN || p161.state() == PortState.OPEN_FILTERED)) {
      return;
    }
    listener.progress("snmp", 0, options.communities().size() * 2L);
    SnmpWriteProbe snmp = new SnmpWriteProbe(target, transport, 161, options.snmpTimeout(), 1,
        options.tcpTimeout().multipliedBy(2));
    List<SnmpAccess> access = snmp.probe(options.communities());
    notes.addAll(snmp.notes());
    boolean answered = access.stream().anyMatch(a -> a.access() != SnmpAccess.Access.NONE);
    PortState state = answered ? PortState.OPEN : p161.state();
    String evidence = answered ? "SNMP answered: " + summary(access) : p161.evidence();
    ports.set(i, new ObservedPort(transport, p161.address(), 161, state,
        answered ? "snmp" : p161.service(), evidence, null, access));
    listener.progress("snmp", options.communities().size() * 2L, options.communities().size() * 2L);
  }

  /**
   * SNMP versions on 161 when something may speak SNMP there: over UDP when udp/161 is open or
   * open|filtered (a v3 answer makes it open: a v3-only agent ignores the v2c probe, so the UDP
   * phase heard nothing), and over TCP (RFC 3430) when tcp/161 is open, since an agent v3-only
   * over UDP may serve v1 and v2c over TCP.
   */
  private void snmpVersions(InetAddress target, List<ObservedPort> ports, List<ProtocolProbe> out)
      throws IOException {
    for (Transport transport : List.of(Transport.UDP, Transport.TCP)) {
      int i = indexOf(ports, transport, 161);
      if (i < 0 || !(ports.get(i).state() == PortState.OPEN
          || (transport == Transport.UDP && ports.get(i).state() == PortState.OPEN_FILTERED))) {
        continue;
      }
      listener.progress("versions", 0, 1);
      List<ProtocolProbe> probes = new SnmpVersionProbe(target, transport, 161,
          options.snmpTimeout(), 1, options.tcpTimeout().multipliedBy(2))
          .probe(options.communities());
      out.addAll(probes);
      ObservedPort p = ports.get(i);
      List<String> served = probes.stream().filter(r -> r.result() == ProtocolProbe.Result.SERVED)
          .map(ProtocolProbe::version).distinct().toList();
      if (!served.isEmpty() && (p.state() != PortState.OPEN || p.service() == null)) {
        ports.set(i, new ObservedPort(transport, p.address(), 161, PortState.OPEN, "snmp",
            "SNMP answered the version probe (" + String.join(", ", served) + ")", null, p.snmp()));
      }
      if (stopped()) {
        return;
      }
    }
  }

  /**
   * NFS versions on 2049 and the ports the portmapper gives NFS, and mountd (registered, or
   * answering on its usual port), when anything NFS-like is there.
   */
  private void nfsVersions(InetAddress target, List<ObservedPort> ports, List<Rpc.Mapping> dump,
      PortState tcp111, List<ProtocolProbe> out) {
    java.util.Set<Integer> nfsPorts = new java.util.TreeSet<>();
    int t = indexOf(ports, Transport.TCP, 2049);
    int u = indexOf(ports, Transport.UDP, 2049);
    if ((t >= 0 && ports.get(t).state() == PortState.OPEN) || (u >= 0
        && (ports.get(u).state() == PortState.OPEN || ports.get(u).state() == PortState.OPEN_FILTERED))) {
      nfsPorts.add(2049);
    }
    boolean mountdListed = false;
    if (dump != null) {
      for (Rpc.Mapping m : dump) {
        if (m.program() == Rpc.NFS) {
          nfsPorts.add(m.port());
        }
        mountdListed |= m.program() == Rpc.MOUNT;
      }
    }
    if (nfsPorts.isEmpty() && !mountdListed) {
      return;
    }
    listener.progress("versions", 0, 1);
    NfsVersionProbe probe = new NfsVersionProbe(target, options.udpTimeout(), options.udpRetries());
    for (int port : nfsPorts) {
      out.addAll(probe.nfs(port, true));
    }
    out.add(NfsVersionProbe.registration(dump, tcp111 == null ? "tcp/111 was not scanned"
        : "tcp/111 " + tcp111.name().toLowerCase(java.util.Locale.ROOT), tcp111 == PortState.CLOSED));
    out.addAll(probe.mountd(dump));
  }

  /** "versions: snmp udp/161 v1 silent, v2c silent, v3 served; ..." for the notes. */
  static String versionSummary(List<ProtocolProbe> probes) {
    Map<String, Map<String, java.util.Set<ProtocolProbe.Result>>> by = new LinkedHashMap<>();
    for (ProtocolProbe r : probes) {
      String where = r.protocol() + " " + r.transport().name().toLowerCase(java.util.Locale.ROOT)
          + "/" + r.port();
      by.computeIfAbsent(where, k -> new LinkedHashMap<>())
          .computeIfAbsent(r.version(), k -> java.util.EnumSet.noneOf(ProtocolProbe.Result.class))
          .add(r.result());
    }
    List<String> parts = new ArrayList<>();
    by.forEach((where, versions) -> {
      List<String> vs = new ArrayList<>();
      // The strongest result per version: one answer proves it served, whatever else was silent.
      versions.forEach((v, results) -> vs.add(v + " " + results.stream()
          .sorted().findFirst().orElseThrow().name().toLowerCase(java.util.Locale.ROOT)));
      parts.add(where + " " + String.join(", ", vs));
    });
    return "versions (protocolProbes): " + String.join("; ", parts);
  }

  private static int indexOf(List<ObservedPort> ports, Transport t, int port) {
    for (int i = 0; i < ports.size(); i++) {
      if (ports.get(i).transport() == t && ports.get(i).port() == port) {
        return i;
      }
    }
    return -1;
  }

  /** The addresses {@code host} resolves to besides {@code scanned}; none for a literal. */
  static List<String> otherAddresses(String host, InetAddress scanned) {
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return List.of();
    }
    List<String> others = new ArrayList<>();
    for (InetAddress a : all) {
      if (!a.equals(scanned) && !others.contains(a.getHostAddress())) {
        others.add(a.getHostAddress());
      }
    }
    return others;
  }

  private static String summary(List<SnmpAccess> access) {
    List<String> s = new ArrayList<>();
    for (SnmpAccess a : access) {
      if (a.access() != SnmpAccess.Access.NONE) {
        s.add(a.version() + " " + SnmpAccess.shown(a.community()) + " " + a.access());
      }
    }
    return String.join(", ", s);
  }

  private Map<String, String> parameters(String host, InetAddress target) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("target", host);
    m.put("address", target.getHostAddress());
    m.put("tcpPorts", options.tcpPorts().toString());
    m.put("tcpConcurrency", Integer.toString(options.concurrency()));
    m.put("tcpTimeoutMs", Long.toString(options.tcpTimeout().toMillis()));
    m.put("tcpRetries", Integer.toString(options.tcpRetries()));
    m.put("udpPorts", options.udpPorts().toString());
    m.put("udpTimeoutMs", Long.toString(options.udpTimeout().toMillis()));
    m.put("udpRetries", Integer.toString(options.udpRetries()));
    m.put("udpPaceMs", Long.toString(options.udpPace().toMillis()));
    m.put("serviceIdentification", Boolean.toString(options.identify()));
    m.put("bannerTimeoutMs", Long.toString(options.bannerTimeout().toMillis()));
    m.put("sctpPorts", options.sctpPorts().toString());
    m.put("snmpCommunities", SnmpAccess.shown(options.communities()));
    m.put("snmpVersions", "v2c then v1");
    m.put("snmpTimeoutMs", Long.toString(options.snmpTimeout().toMillis()));
    m.put("snmpTcpMaxMessageBytes", Integer.toString(SnmpChannel.MAX_TCP_MESSAGE));
    m.put("versionProbes", !options.identify() ? "none (--no-identify)" : "SNMP on udp/161 and, when open, tcp/161 (RFC 3430): v1 and v2c GET"
        + " sysDescr.0 (a wrong-type SET when silent) with 'public', 'private' and the communities above, v3 engine-ID discovery;"
        + " NFS on 2049 and the portmapper's NFS ports: RPC NULL v2, v3, v4 over TCP and UDP;"
        + " mountd: the portmapper's list, RPC NULL on 20048 and its listed ports");
    return m;
  }

  private static String version() {
    String v = HardenScanner.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
