package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.testing.NetnsHost;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;

/**
 * HRD-3, HRD-5 (issue 17): {@code harden scan --no-identify} is a bare sweep. A namespace host
 * has silent listeners (they accept, or receive, and never answer) on tcp/111, tcp/2049 and
 * udp/2049, where the portmapper DUMP and the NFS and mountd version probes would wait out their
 * timeouts: without identification the scan must not send them, and a policy whose rules need
 * their answers must stay inconclusive, naming the rule.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoIdentifySweepTest {
  /** The NFS probes' timeout: three TCP NULL calls to 2049 alone cost 6 s on a silent listener. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

  NetnsHost ns;

  @BeforeAll
  void start() throws Exception {
    RequiredProgram.require("socat");
    ns = NetnsHost.create(h -> {
      for (int p : new int[] {111, 2049}) {
        NetnsHost.Daemon d = h.start("silent-tcp-" + p, "socat",
            "TCP-LISTEN:" + p + ",bind=" + h.address() + ",reuseaddr,fork", "SYSTEM:sleep 60");
        h.awaitListening(d, Transport.TCP, p, Duration.ofSeconds(10));
      }
      NetnsHost.Daemon u = h.start("silent-udp-2049", "socat", "-u",
          "UDP-RECV:2049,bind=" + h.address(), "OPEN:/dev/null");
      h.awaitListening(u, Transport.UDP, 2049, Duration.ofSeconds(10));
    });
  }

  @AfterAll
  void stop() throws Exception {
    NetnsHost.closeChecked(ns);
  }

  private static ScanOptions options() {
    return ScanOptions.defaults().withTcpPorts(PortList.of(22, 111, 2049, NfsVersionProbe.MOUNTD_PORT))
        .withUdpPorts(PortList.none()).withSctpPorts(PortList.none())
        .withUdpTiming(PROBE_TIMEOUT, 0, Duration.ofSeconds(1));
  }

  @Test
  @DisplayName("HRD-3: --no-identify against silent listeners on 111 and 2049: no DUMP, no version"
      + " probe, done in well under the probes' own timeouts; the note says what was skipped")
  void scanWithoutIdentification_silentRpcListeners_noProbeNoStall() throws Exception {
    long t0 = System.nanoTime();
    Observation o = HardenScanner.create(options().withoutIdentification(), ScanListener.NONE)
        .scan(ns.address());
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    // The probes would wait 3 x 2 s on tcp/2049 alone (and the DUMP 1.5 s on tcp/111).
    assertThat(took).as("scan time").isLessThan(PROBE_TIMEOUT.multipliedBy(3).dividedBy(2));

    assertThat(o.complete()).isTrue();
    assertThat(o.ports()).filteredOn(p -> p.state() == PortState.OPEN)
        .extracting(ObservedPort::port).containsExactly(111, 2049);
    assertThat(o.protocolProbes()).isEmpty();
    assertThat(o.notes()).contains(HardenScanner.NOT_IDENTIFIED)
        .noneMatch(n -> n.startsWith("RPC:")).noneMatch(n -> n.startsWith("versions"));
    assertThat(o.parameters()).containsEntry("serviceIdentification", "false")
        .containsEntry("versionProbes", "none (--no-identify)");

    // HRD-1/HRD-5: the version rule and the declared, unnamed portmapper never pass.
    // The policy of the real daemons' test: SNMP v3 only, NFS v4 only, the portmapper declared.
    Policy policy = PolicyParser.parse(
        ProtocolVersionDaemonsTest.POLICY.getBytes(StandardCharsets.UTF_8), "oam-nfs.yaml");
    Evaluation e = Evaluator.evaluate(policy, o);
    PortFinding nfs = finding(e, 2049);
    assertThat(nfs.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(nfs.rule()).isEqualTo("protocol-version");
    assertThat(nfs.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
    assertThat(nfs.reason().message()).contains("allowed as nfs v4 only")
        .contains("the scan ran with --no-identify").contains("scan again without --no-identify");
    PortFinding rpc = finding(e, 111);
    assertThat(rpc.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(rpc.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
    assertThat(rpc.reason().message()).contains("portmapper DUMP").contains("nfs")
        .contains("scan again without --no-identify");
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.passed()).isFalse();
  }

  @Test
  @DisplayName("HRD-5: with identification the same listeners get the DUMP and the NFS probes,"
      + " which find them silent (the sweep above skipped real waits)")
  void scanWithIdentification_silentRpcListeners_probesRunAndFindSilence() throws Exception {
    Observation o = HardenScanner.create(options().withUdpTiming(Duration.ofMillis(300), 0,
        Duration.ofSeconds(1)), ScanListener.NONE).scan(ns.address());
    assertThat(o.notes()).contains("RPC: the portmapper on TCP 111 did not answer a DUMP");
    List<ProtocolProbe> nfs = o.protocolProbes().stream()
        .filter(p -> p.protocol().equals("nfs") && p.port() == 2049).toList();
    assertThat(nfs).extracting(ProtocolProbe::transport, ProtocolProbe::version)
        .hasSize(6).contains(org.assertj.core.groups.Tuple.tuple(Transport.TCP, "v4"));
    assertThat(nfs).allSatisfy(p -> assertThat(p.result()).isEqualTo(ProtocolProbe.Result.SILENT));
    assertThat(o.protocolProbes()).anySatisfy(p -> {
      assertThat(p.protocol()).isEqualTo("mountd");
      assertThat(p.port()).isEqualTo(111);
      assertThat(p.result()).isEqualTo(ProtocolProbe.Result.UNDECIDED);
    });
  }

  private static PortFinding finding(Evaluation e, int port) {
    return e.findings().stream()
        .filter(f -> f.port().transport() == Transport.TCP && f.port().port() == port)
        .findFirst().orElseThrow(() -> new AssertionError("tcp/" + port + " in " + e.findings()));
  }
}
