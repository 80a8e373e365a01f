package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.testing.NetnsHost;
import org.neguard.testing.RequiredProgram;

/**
 * HRD-3: full sweeps of a namespace host whose nftables drop one range of ports outright (a
 * firewall: silence) and the first SYN to each port of another range (a lossy path: the retry is
 * answered), with listeners inside, at the edges of and beyond both ranges. The adaptive connect
 * window must shrink for the losses, not for the firewall's silence, and no port may be lost.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TcpSweepWindowTest {
  static final int LOSSY_FROM = 20000;
  static final int LOSSY_TO = 20199;
  static final int DROPPED_FROM = 30000;
  static final int DROPPED_TO = 30099;
  /** Listeners: low ports, inside and at the edges of the lossy range, around the dropped one. */
  static final List<Integer> OPEN = List.of(21, 445, LOSSY_FROM, 20050, LOSSY_TO, DROPPED_FROM - 1, DROPPED_TO + 1, 65535);

  NetnsHost ns;
  InetAddress target;

  @BeforeAll
  void start() throws Exception {
    RequiredProgram.require("socat");
    RequiredProgram.require("nft");
    ns = NetnsHost.create(h -> {
      h.exec("nft", "add table inet ngsweep");
      h.exec("nft", "add chain inet ngsweep input { type filter hook input priority 0 ; policy accept ; }");
      h.exec("nft", "add rule inet ngsweep input tcp dport " + DROPPED_FROM + "-" + DROPPED_TO + " drop");
      // The first SYN to each port of the lossy range is dropped and the port remembered; the
      // retry (a new socket, a new source port) passes.
      h.exec("nft", "add set inet ngsweep lossy { type inet_service ; flags dynamic ; }");
      h.exec("nft", "add rule inet ngsweep input tcp dport " + LOSSY_FROM + "-" + LOSSY_TO
          + " tcp flags syn tcp dport != @lossy add @lossy { tcp dport } drop");
      for (int p : OPEN) {
        NetnsHost.Daemon d = h.start("socat-" + p, "socat",
            "TCP-LISTEN:" + p + ",bind=" + h.address() + ",reuseaddr,fork", "SYSTEM:echo hello");
        h.awaitListening(d, Transport.TCP, p, Duration.ofSeconds(10));
      }
    });
    target = InetAddress.getByName(ns.address());
  }

  @AfterAll
  void stop() throws Exception {
    NetnsHost.closeChecked(ns);
  }

  @Test
  @DisplayName("HRD-3: a full sweep through a lossy range and a dropped range finds every open port,"
      + " the dropped ports filtered, the rest closed; the window shrank for the losses")
  void fullSweep_lossyAndDroppedRanges_noPortLost() throws Exception {
    ns.exec("nft", "flush set inet ngsweep lossy");
    int[] all = IntStream.rangeClosed(1, 65535).toArray();
    TcpConnectScanner.Result r = TcpConnectScanner.scanParallel(target, all, 2, 256,
        Duration.ofMillis(400), 1, () -> false, ScanListener.NONE);
    List<Integer> open = new ArrayList<>();
    List<Integer> filtered = new ArrayList<>();
    for (int p = 1; p <= 65535; p++) {
      assertThat(r.state[p]).as("port %d concluded", p).isNotNull();
      if (r.state[p] == PortState.OPEN) {
        open.add(p);
      } else if (r.state[p] == PortState.FILTERED) {
        filtered.add(p);
      }
    }
    assertThat(open).isEqualTo(OPEN);
    assertThat(filtered).isEqualTo(IntStream.rangeClosed(DROPPED_FROM, DROPPED_TO).boxed().toList());
    assertThat(r.closed).isEqualTo(65535 - OPEN.size() - filtered.size());
    // Every port of the lossy range was answered on its retry: the losses halved the window.
    assertThat(r.windowShrinks).isPositive();
    assertThat(r.smallestWindow).isLessThan(128);
    for (int p = LOSSY_FROM; p <= LOSSY_TO; p++) {
      assertThat(r.state[p]).as("port %d", p).isIn(PortState.OPEN, PortState.CLOSED);
      assertThat(r.detail[p]).as("port %d", p).isIn("connected", "refused");
    }
  }

  @Test
  @DisplayName("HRD-3: a firewall's silence alone does not shrink the window (nothing proves a loss)")
  void sweep_droppedRangeOnly_windowKept() throws Exception {
    int[] ports = IntStream.rangeClosed(DROPPED_FROM - 1000, DROPPED_TO + 1000).toArray();
    TcpConnectScanner.Result r = TcpConnectScanner.scanParallel(target, ports, 1, 64,
        Duration.ofMillis(300), 1, () -> false, ScanListener.NONE);
    assertThat(r.windowShrinks).isZero();
    assertThat(r.smallestWindow).isEqualTo(64);
    assertThat(r.filtered).isEqualTo(DROPPED_TO - DROPPED_FROM + 1);
    assertThat(r.open).isEqualTo(2);
    assertThat(r.state[DROPPED_FROM - 1]).isEqualTo(PortState.OPEN);
    assertThat(r.state[DROPPED_TO + 1]).isEqualTo(PortState.OPEN);
    assertThat(r.closed).isEqualTo(ports.length - 2 - r.filtered);
  }
}
