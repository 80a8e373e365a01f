package org.neguard.harden.inventory;

import org.neguard.io.HostName;
import org.neguard.io.MachineId;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The local inventory (HRD-2): every listening TCP and UDP socket, IPv4 and IPv6, and every SCTP
 * endpoint, with the process that owns it (pid, command, executable, user), read from /proc the
 * way {@code ss -tulpn} does, so no {@code ss} is needed on the NE.
 *
 * <p>The socket tables are those of a network namespace: {@code /proc/net} is the caller's,
 * {@code /proc/PID/net} that of process PID ({@link #ofNamespaceOf}). Owners are looked up in
 * every process of {@code /proc}; seeing all of them needs root, and sockets whose owner could
 * not be read are listed without one and counted in a note.
 *
 * <p>Immutable and thread-safe; each {@link #take()} reads /proc afresh.
 */
public final class LocalInventory {
  private static final String TOOL = "NEGuard " + version();

  private final Path procRoot;
  private final Path netDir;

  private LocalInventory(Path procRoot, Path netDir) {
    this.procRoot = procRoot;
    this.netDir = netDir;
  }

  /** The inventory of this process's network namespace. */
  /**
   * The address {@code raw} (4 or 16 bytes) as an inventory writes it: dotted IPv4, RFC 5952
   * IPv6, {@code ::ffff:a.b.c.d} for an IPv4-mapped one. The one form the server accepts in an
   * agent's report, since it compares sockets by their text.
   *
   * @throws IllegalArgumentException when {@code raw} is not 4 or 16 bytes long
   */
  public static String addressText(byte[] raw) {
    return Addresses.format(raw);
  }

  /** Records every interface's addresses as {@code interface.NAME} parameters. */
  private static void interfaces(Map<String, String> parameters, List<String> notes) {
    try {
      for (java.net.NetworkInterface nif
          : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
        List<String> addresses = new ArrayList<>();
        for (java.net.InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
          String text = a.getHostAddress();
          int zone = text.indexOf('%');
          addresses.add(zone < 0 ? text : text.substring(0, zone));
        }
        parameters.put(Observation.INTERFACE_PARAMETER + nif.getName(),
            String.join(",", addresses));
      }
      parameters.put(Observation.INTERFACES_RECORDED, "all");
    } catch (java.net.SocketException e) {
      notes.add("network interfaces could not be listed (" + e.getMessage()
          + "): a policy that names interfaces cannot be judged on this inventory");
    }
  }

  public static LocalInventory system() {
    return new LocalInventory(Path.of("/proc"), Path.of("/proc/net"));
  }

  /** The inventory of the network namespace process {@code pid} lives in. */
  public static LocalInventory ofNamespaceOf(long pid) {
    if (pid < 1) {
      throw new IllegalArgumentException("pid < 1: " + pid);
    }
    return new LocalInventory(Path.of("/proc"), Path.of("/proc", Long.toString(pid), "net"));
  }

  /** An inventory read from other directories (recorded tables in tests). */
  public static LocalInventory of(Path procRoot, Path netDir) {
    return new LocalInventory(procRoot, netDir);
  }

  /**
   * Reads the socket tables and their owners.
   *
   * @return an observation with source {@code inventory}, one {@link PortState#OPEN} port per
   *     listening socket; complete unless an SCTP table was present but unreadable
   * @throws RefusalException {@code IO_ERROR} when /proc/net/tcp or udp cannot be read (not
   *     Linux, /proc not mounted), {@code BAD_INPUT} when a table is malformed
   */
  public Observation take() throws RefusalException {
    Instant started = Instant.now();
    List<String> notes = new ArrayList<>();
    boolean complete = true;
    List<SocketEntry> sockets = new ArrayList<>();
    ByteOrder order = ByteOrder.nativeOrder();
    sockets.addAll(inet("tcp", Transport.TCP, false, order, true));
    sockets.addAll(inet("tcp6", Transport.TCP, true, order, false));
    sockets.addAll(inet("udp", Transport.UDP, false, order, true));
    sockets.addAll(inet("udp6", Transport.UDP, true, order, false));
    Path eps = netDir.resolve("sctp").resolve("eps");
    // Anything at that path that cannot be read (no permission, a broken link) leaves SCTP
    // unknown: only a missing file means the kernel has no SCTP.
    if (Files.exists(eps, LinkOption.NOFOLLOW_LINKS)) {
      try {
        sockets.addAll(ProcNetParser.parseSctpEndpoints(Files.readString(eps, StandardCharsets.UTF_8)));
      } catch (IOException e) {
        complete = false;
        notes.add("SCTP endpoints not read (" + eps + ": " + e.getMessage() + ")");
      } catch (IllegalArgumentException e) {
        throw RefusalException.about(ReasonCode.BAD_INPUT, eps.toString(), eps + " " + e.getMessage());
      }
    } else {
      notes.add("SCTP: " + eps + " is absent (the kernel has no SCTP module loaded): no SCTP listeners can exist");
    }
    List<SocketEntry> listening = sockets.stream().filter(SocketEntry::listening).toList();
    Set<Long> inodes = listening.stream().map(SocketEntry::inode).filter(i -> i > 0).collect(Collectors.toSet());
    Map<Long, ProcessInfo> owners = SocketOwners.find(procRoot, inodes);

    Map<String, ObservedPort> ports = new LinkedHashMap<>();
    int unowned = 0;
    for (SocketEntry s : listening) {
      ProcessInfo owner = owners.get(s.inode());
      if (owner == null) {
        unowned++;
      }
      if (s.port() == 0) {
        continue; // bound to no port yet: nothing can reach it
      }
      String evidence = "listening in " + netDir + "/" + table(s) + " (inode " + s.inode() + ", uid " + s.uid() + ")";
      ObservedPort p = new ObservedPort(s.transport(), s.address(), s.port(), PortState.OPEN, null, evidence, owner, List.of());
      String key = s.transport() + "|" + s.address() + "|" + s.port() + "|" + (owner == null ? "" : owner.pid());
      ports.putIfAbsent(key, p);
    }
    if (unowned > 0) {
      notes.add(unowned + " listening socket(s) without a known owning process"
          + (isRoot() ? " (in another process's mount of /proc, or closed while reading)" : ": run as root to see every process"));
    }
    List<ObservedPort> sorted = new ArrayList<>(ports.values());
    sorted.sort(Comparator.comparing(ObservedPort::transport)
        .thenComparingInt(ObservedPort::port)
        .thenComparing(ObservedPort::address));
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put("procRoot", procRoot.toString());
    parameters.put("netDir", netDir.toString());
    if (netDir.equals(Path.of("/proc/net"))) {
      // This process's own namespace: record its interfaces, so that a policy may name them.
      interfaces(parameters, notes);
    }
    String host = HostName.local();
    return new Observation("inventory", host, host, TOOL, started, Instant.now(), complete,
        parameters, sorted, notes);
  }

  /**
   * {@link #take()} recording this machine's id ({@link MachineId}; none when it has no valid
   * one), as {@code harden inventory} writes it: the id is what lets {@code harden check} tell
   * this machine's inventory from that of another NE with the same host name (HRD-3). The
   * agent's reports go without it: servers that predate the field refuse one they do not know.
   */
  public Observation takeWithMachineId() throws RefusalException {
    Observation o = take();
    java.util.Optional<String> id = MachineId.local();
    if (id.isPresent()) {
      return o.withMachineId(id.get());
    }
    List<String> notes = new ArrayList<>(o.notes());
    notes.add("no valid machine id (/etc/machine-id, 32 lower-case hexadecimal digits): 'harden"
        + " check' cannot prove this inventory to be this machine's, and assesses it only with a"
        + " package database given to it");
    return new Observation(o.source(), o.host(), o.scanner(), o.tool(), o.started(),
        o.finished(), o.complete(), o.parameters(), o.ports(), notes, o.protocolProbes());
  }

  private List<SocketEntry> inet(String name, Transport t, boolean v6, ByteOrder order, boolean required)
      throws RefusalException {
    Path file = netDir.resolve(name);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      if (required) {
        throw RefusalException.about(ReasonCode.IO_ERROR, file.toString(),
            file + " does not exist: the inventory needs Linux with /proc mounted");
      }
      return List.of(); // IPv6 disabled in this kernel
    } catch (IOException e) {
      throw RefusalException.about(ReasonCode.IO_ERROR, file.toString(), "cannot read " + file + ": " + e.getMessage());
    }
    try {
      return ProcNetParser.parseInet(t, v6, text, order);
    } catch (IllegalArgumentException e) {
      throw RefusalException.about(ReasonCode.BAD_INPUT, file.toString(), file + " " + e.getMessage());
    }
  }

  private static String table(SocketEntry s) {
    return switch (s.transport()) {
      case TCP -> s.ipv6() ? "tcp6" : "tcp";
      case UDP -> s.ipv6() ? "udp6" : "udp";
      case SCTP -> "sctp/eps";
    };
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static String version() {
    String v = LocalInventory.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
