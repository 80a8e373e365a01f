package org.neguard.harden.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** HRD-2: the local inventory of listening sockets and their processes, read from /proc. */
class LocalInventoryTest {
  private static final StandardProtocolFamily INET = StandardProtocolFamily.INET;
  private static final long MY_PID = ProcessHandle.current().pid();

  @Test
  @DisplayName("HRD-2: the inventory records this host's interfaces, so a policy may name them")
  void take_recordsInterfacesWithTheirAddresses() throws Exception {
    Observation o = LocalInventory.system().take();
    assertThat(o.parameters()).containsEntry(Observation.INTERFACES_RECORDED, "all");
    assertThat(o.parameters().get(Observation.INTERFACE_PARAMETER + "lo")).contains("127.0.0.1");
  }

  @Test
  @DisplayName("HRD-2: listeners this test opens (TCP/UDP, IPv4/IPv6) are found with their process")
  void take_realListeners_foundWithOwningProcess() throws Exception {
    try (ServerSocketChannel tcp4 = ServerSocketChannel.open(INET).bind(new InetSocketAddress("127.0.0.1", 0));
        ServerSocketChannel tcp6 = ServerSocketChannel.open().bind(new InetSocketAddress("::1", 0));
        DatagramChannel udp4 = DatagramChannel.open(INET)
            .bind(new InetSocketAddress("127.0.0.1", 0));
        DatagramChannel udp6 = DatagramChannel.open(StandardProtocolFamily.INET6)
            .bind(new InetSocketAddress("::", 0))) {
      Observation o = LocalInventory.system().take();

      assertThat(o.source()).isEqualTo("inventory");
      assertThat(o.complete()).isTrue();
      assertOwned(o, Transport.TCP, "127.0.0.1", port(tcp4.getLocalAddress()));
      assertOwned(o, Transport.TCP, "::1", port(tcp6.getLocalAddress()));
      assertOwned(o, Transport.UDP, "127.0.0.1", port(udp4.getLocalAddress()));
      assertOwned(o, Transport.UDP, "::", port(udp6.getLocalAddress()));
      // A connected (client) UDP socket is not a listener.
      try (DatagramChannel client = DatagramChannel.open().connect(udp4.getLocalAddress())) {
        int clientPort = port(client.getLocalAddress());
        assertThat(LocalInventory.system().take().ports())
            .noneMatch(p -> p.transport() == Transport.UDP && p.port() == clientPort);
      }
      // And the JSON form the agent will send reads back the same.
      assertThat(ObservationCodec.decode(ObservationCodec.encode(o))).isEqualTo(o);
    }
  }

  @Test
  void take_closedListener_gone() throws Exception {
    int port;
    try (ServerSocketChannel tcp = ServerSocketChannel.open(INET).bind(new InetSocketAddress("127.0.0.1", 0))) {
      port = port(tcp.getLocalAddress());
    }
    assertThat(LocalInventory.system().take().ports())
        .noneMatch(p -> p.transport() == Transport.TCP && p.port() == port && p.process() != null
            && p.process().pid() == MY_PID);
  }

  @Test
  @DisplayName("HRD-2: the inventory agrees with ss -tulpn on every stable listener")
  void take_comparedWithSs_sameListenersAndOwners() throws Exception {
    Path ss = RequiredProgram.require("ss");
    try (ServerSocketChannel tcp = ServerSocketChannel.open(INET).bind(new InetSocketAddress("127.0.0.1", 0))) {
      Set<String> before = ss(ss);
      Observation o = LocalInventory.system().take();
      Set<String> after = ss(ss);
      Set<String> mine = new HashSet<>();
      for (ObservedPort p : o.ports()) {
        if (p.transport() != Transport.SCTP) {
          mine.add(key(p.transport().name().toLowerCase(), p.address(), p.port(),
              p.process() == null ? -1 : p.process().pid()));
        }
      }
      Set<String> stable = new HashSet<>(before);
      stable.retainAll(after);
      // Other programs on this shared machine open and close sockets meanwhile: every socket seen
      // by ss both before and after must be in the inventory, and every inventoried one in ss.
      assertThat(mine).containsAll(stable);
      Set<String> eitherSs = new HashSet<>(before);
      eitherSs.addAll(after);
      assertThat(eitherSs).containsAll(mine);
      assertThat(mine).contains(key("tcp", "127.0.0.1", port(tcp.getLocalAddress()), MY_PID));
    }
  }

  @Test
  @DisplayName("HRD-2 SCTP: endpoints of a recorded /proc/net/sctp/eps are listed as SCTP ports")
  void take_recordedSctpTable_sctpPortsListed(@TempDir Path dir) throws Exception {
    Path net = recordedNet(dir);
    Files.createDirectories(net.resolve("sctp"));
    Files.writeString(net.resolve("sctp/eps"), ProcNetParserTest.sample("eps-magma-mme.txt"));
    Observation o = LocalInventory.of(dir.resolve("proc"), net).take();
    assertThat(o.ports()).filteredOn(p -> p.transport() == Transport.SCTP)
        .extracting(ObservedPort::port).containsExactly(36412, 38412);
    assertThat(o.notes()).noneMatch(n -> n.startsWith("SCTP"));
  }

  @Test
  void take_noSctpInKernel_noteSaysSo(@TempDir Path dir) throws Exception {
    Observation o = LocalInventory.of(dir.resolve("proc"), recordedNet(dir)).take();
    assertThat(o.notes()).anyMatch(n -> n.startsWith("SCTP:") && n.contains("absent"));
    assertThat(o.ports()).extracting(ObservedPort::port).containsExactly(22);
    assertThat(o.ports().get(0).process()).isNull();
    assertThat(o.notes()).anyMatch(n -> n.contains("without a known owning process"));
  }

  @Test
  @DisplayName("HRD-2 SCTP: an SCTP table that is there but cannot be read leaves the inventory"
      + " incomplete, never 'no SCTP listeners'")
  void take_unreadableSctpTable_incomplete(@TempDir Path dir) throws Exception {
    Path net = recordedNet(dir);
    Files.createDirectories(net.resolve("sctp"));
    // Root reads any mode, so a link to nowhere stands for a table this process cannot read.
    Files.createSymbolicLink(net.resolve("sctp/eps"), dir.resolve("gone"));
    Observation o = LocalInventory.of(dir.resolve("proc"), net).take();
    assertThat(o.complete()).isFalse();
    assertThat(o.notes()).anyMatch(n -> n.startsWith("SCTP endpoints not read"))
        .noneMatch(n -> n.contains("absent"));
  }

  @Test
  void take_malformedTable_refusedBadInput(@TempDir Path dir) throws Exception {
    Path net = recordedNet(dir);
    Files.writeString(net.resolve("udp"), "header\n   0: garbage\n");
    assertThatThrownBy(() -> LocalInventory.of(dir.resolve("proc"), net).take())
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
          assertThat(e.getMessage()).contains("udp").contains("line 2");
        });
  }

  @Test
  void take_noProcNet_refusedIoError(@TempDir Path dir) {
    assertThatThrownBy(() -> LocalInventory.of(dir, dir.resolve("missing")).take())
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.IO_ERROR));
  }

  private static Path recordedNet(Path dir) throws IOException {
    Path net = Files.createDirectories(dir.resolve("net"));
    Files.createDirectories(dir.resolve("proc"));
    Files.writeString(net.resolve("tcp"),
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 424242 1 0 100 0 0 10 0\n");
    Files.writeString(net.resolve("udp"),
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
    return net;
  }

  private static void assertOwned(Observation o, Transport t, String address, int port) {
    List<ObservedPort> found = o.ports().stream()
        .filter(p -> p.transport() == t && p.address().equals(address) && p.port() == port)
        .toList();
    assertThat(found).as("%s %s:%d in %s", t, address, port, o.ports()).hasSize(1);
    ObservedPort p = found.get(0);
    assertThat(p.state()).isEqualTo(PortState.OPEN);
    assertThat(p.process()).isNotNull();
    assertThat(p.process().pid()).isEqualTo(MY_PID);
    assertThat(p.process().executable()).isEqualTo(
        ProcessHandle.current().info().command().orElseThrow());
    assertThat(p.process().user()).isEqualTo(System.getProperty("user.name"));
    assertThat(p.process().name()).isEqualTo("java");
  }

  private static int port(java.net.SocketAddress a) {
    return ((InetSocketAddress) a).getPort();
  }

  private static String key(String proto, String address, int port, long pid) {
    return proto + " " + address + " " + port + " " + pid;
  }

  /** ss -tulpn, one key per (socket, owning pid) as {@link #key}. */
  private static Set<String> ss(Path ss) throws Exception {
    Process p = new ProcessBuilder(ss.toString(), "-H", "-tulpn").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    Set<String> keys = new HashSet<>();
    Pattern pid = Pattern.compile("pid=(\\d+)");
    for (String line : out.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 5) {
        continue;
      }
      String local = f[4];
      int colon = local.lastIndexOf(':');
      String addr = local.substring(0, colon);
      if (addr.startsWith("[") && addr.endsWith("]")) {
        addr = addr.substring(1, addr.length() - 1);
      }
      int pct = addr.indexOf('%'); // ss prints the bound device as 0.0.0.0%eth0
      if (pct >= 0) {
        addr = addr.substring(0, pct);
      }
      if (addr.equals("*")) {
        addr = f[0].equals("tcp") || f[0].equals("udp") ? (local.startsWith("*") ? "::" : addr) : addr;
      }
      int portNo = Integer.parseInt(local.substring(colon + 1));
      Matcher m = pid.matcher(line);
      long lowest = Long.MAX_VALUE;
      while (m.find()) {
        lowest = Math.min(lowest, Long.parseLong(m.group(1)));
      }
      keys.add(key(f[0], addr, portNo, lowest == Long.MAX_VALUE ? -1 : lowest));
    }
    return keys;
  }
}
