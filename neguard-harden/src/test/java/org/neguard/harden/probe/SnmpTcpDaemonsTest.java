package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.neguard.harden.Observation;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.RequirementResult;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.testing.NetnsHost;
import org.neguard.verdict.ReasonCode;

/**
 * HRD-3 (the scan must look where the service is, not only where it is expected), HRD-1, HRD-5:
 * SNMP over TCP (RFC 3430, net-snmp's {@code agentaddress tcp:161}), which the scan probed not at
 * all before, against real peers in network namespaces this class creates:
 *
 * <ul>
 *   <li>{@code v2c}: net-snmp's snmpd on TCP only (no UDP), with a v3 user and {@code rocommunity
 *       public}: what a "v3 only" policy must catch;
 *   <li>{@code v3}: the same snmpd on TCP only with the v3 user alone;
 *   <li>{@code peers}: socat listeners that are no SNMP agent: one that accepts and never answers
 *       (on 161, scanned), one announcing a 2 GiB message in its first BER header, one sending an
 *       endless stream of text, one closing mid-message, and a port where nothing listens.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnmpTcpDaemonsTest {
  /** The operator's usual "v3 only" policy: declared on udp/161 alone. */
  static final String UDP_POLICY = String.join("\n",
      "schema: neguard-hardening-policy/1",
      "neType: oam-snmp",
      "allowed:",
      "  - transport: udp",
      "    port: 161",
      "    service: snmp",
      "    justification: SNMPv3 monitoring from the OAM network; v1 and v2c must be off",
      "    protocol: {versions: [v3]}",
      "");
  /** SNMP v3 only over both transports. */
  static final String BOTH_POLICY = UDP_POLICY + String.join("\n",
      "  - transport: tcp",
      "    port: 161",
      "    service: snmp",
      "    justification: SNMPv3 over TCP (RFC 3430) from the OAM network",
      "    protocol: {versions: [v3]}",
      "");
  static final int SILENT = 161;
  static final int HUGE = 1162;
  static final int ENDLESS = 1163;
  static final int CUT = 1164;
  static final int NOTHING = 1165;
  static final Duration TIMEOUT = Duration.ofMillis(500);

  NetnsHost v2c;
  NetnsHost v3;
  NetnsHost peers;
  Observation v2cScan;
  Observation v3Scan;
  Observation silentScan;

  @BeforeAll
  void startAndScan() throws Exception {
    for (String p : List.of("snmpd", "socat")) {
      ProtocolVersionDaemonsTest.need(p);
    }
    try {
      v2c = NetnsHost.create();
      v3 = NetnsHost.create();
      peers = NetnsHost.create();
      startSnmpd(v2c, true);
      startSnmpd(v3, false);
      startPeers(peers);
      // Three hosts, three scans at once: each mostly waits on its own timeouts.
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        Future<Observation> a = pool.submit(() -> scan(v2c));
        Future<Observation> b = pool.submit(() -> scan(v3));
        Future<Observation> c = pool.submit(() -> scan(peers));
        v2cScan = a.get(5, TimeUnit.MINUTES);
        v3Scan = b.get(5, TimeUnit.MINUTES);
        silentScan = c.get(5, TimeUnit.MINUTES);
      } finally {
        pool.shutdownNow();
        pool.awaitTermination(2, TimeUnit.MINUTES);
      }
    } catch (Exception | AssertionError e) {
      stop();
      throw e;
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (NetnsHost h : new NetnsHost[] {v2c, v3, peers}) {
      if (h != null) {
        h.close();
        assertThat(h.leftNothing()).as("namespace, processes and files removed").isTrue();
      }
    }
  }

  private static Observation scan(NetnsHost h) throws Exception {
    return HardenScanner.create(options(), ScanListener.NONE).scan(h.address());
  }

  /** SNMP's port and the baseline's, on both transports: a pass needs every forbidden port. */
  private static ScanOptions options() {
    return ScanOptions.defaults()
        .withTcpPorts(PortList.of(7, 20, 21, 23, 37, 79, 107, 161, 445, 513, 514, 1025, 2049))
        .withUdpPorts(PortList.of(7, 37, 69, 161, 445, 1025, 2049))
        .withSctpPorts(PortList.none());
  }

  private static void startSnmpd(NetnsHost ns, boolean v2cToo) throws Exception {
    Path d = ns.dir();
    Files.createDirectories(d.resolve("snmp"));
    Files.writeString(d.resolve("snmpd.conf"), String.join("\n",
        // TCP only: the UDP socket is not opened at all, so udp/161 is closed.
        "agentAddress tcp:" + ns.address() + ":161",
        "createUser ngv3user SHA-256 \"ng-auth-pass-1\" AES \"ng-priv-pass-1\"",
        "rouser ngv3user priv",
        v2cToo ? "rocommunity public " + ns.hostAddress() : "",
        ""));
    NetnsHost.Daemon snmpd = ns.start("snmpd", "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
        d.resolve("snmpd.conf").toString(), "-p", d.resolve("snmpd.pid").toString(),
        "--persistentDir=" + d.resolve("snmp"), "-M", d.resolve("snmp").toString(), "-I", "-smux");
    ns.awaitListening(snmpd, Transport.TCP, 161, Duration.ofSeconds(10));
  }

  private static void startPeers(NetnsHost ns) throws Exception {
    String a = ns.address();
    Map<Integer, String> peers = Map.of(
        // Accepts, answers nothing, never closes (sleep keeps the connection's output open).
        SILENT, "exec sleep 600",
        // A SEQUENCE whose BER length says 0x7fffffff bytes (2 GiB), then nothing more.
        HUGE, "printf '\\060\\204\\177\\377\\377\\377\\002\\001'\nexec sleep 600",
        // Text, without end.
        ENDLESS, "exec yes 'HTTP/1.0 400 Bad Request'",
        // A header announcing 260 bytes, 6 of them, and the connection closed.
        CUT, "printf '\\060\\202\\001\\000\\002\\001'");
    for (Map.Entry<Integer, String> e : peers.entrySet()) {
      // A script file: socat's address syntax would take quotes and backslashes for its own.
      Path script = ns.dir().resolve("peer-" + e.getKey() + ".sh");
      Files.writeString(script, e.getValue() + "\n");
      NetnsHost.Daemon d = ns.start("socat-" + e.getKey(), "socat",
          "TCP-LISTEN:" + e.getKey() + ",bind=" + a + ",reuseaddr,fork", "EXEC:/bin/sh " + script);
      ns.awaitListening(d, Transport.TCP, e.getKey(), Duration.ofSeconds(10));
    }
  }

  private static List<ProtocolProbe> snmp(Observation o, Transport t) {
    return o.protocolProbes().stream()
        .filter(p -> p.protocol().equals("snmp") && p.transport() == t).toList();
  }

  private static Verdict verdict(Evaluation e, String id) {
    return e.requirements().stream().filter(r -> r.id().equals(id)).findFirst()
        .map(RequirementResult::verdict).orElseThrow();
  }

  private static Policy policy(String yaml) throws Exception {
    return PolicyParser.parse(yaml.getBytes(StandardCharsets.UTF_8), "oam-snmp.yaml");
  }

  private List<ProtocolProbe> probe(int port) throws Exception {
    return new SnmpVersionProbe(InetAddress.getByName(peers.address()), Transport.TCP, port,
        TIMEOUT, 0, Duration.ofSeconds(2)).probe(List.of("community"));
  }

  @Test
  @DisplayName("HRD-3: snmpd serving v2c over TCP only: the scan probes tcp/161 and finds v1 and"
      + " v2c served over TCP (GET with 'public'), v3 too, and the write probe runs there")
  void scan_v2cOverTcpOnly_servedOverTcp() {
    List<ProtocolProbe> tcp = snmp(v2cScan, Transport.TCP);
    for (String v : List.of("v1", "v2c")) {
      assertThat(tcp).filteredOn(p -> p.version().equals(v) && p.result() == Result.SERVED)
          .extracting(ProtocolProbe::request).containsExactly("GET sysDescr.0 with 'public'");
    }
    assertThat(tcp).filteredOn(p -> p.version().equals("v3")).singleElement()
        .extracting(ProtocolProbe::result).isEqualTo(Result.SERVED);
    // UDP is off: nothing to probe there, and the port is closed.
    assertThat(snmp(v2cScan, Transport.UDP)).isEmpty();
    assertThat(v2cScan.ports()).anySatisfy(p -> {
      assertThat(p.transport()).isEqualTo(Transport.TCP);
      assertThat(p.port()).isEqualTo(161);
      assertThat(p.service()).isEqualTo("snmp");
      assertThat(p.snmp()).anySatisfy(a -> {
        assertThat(a.version()).isEqualTo("v2c");
        assertThat(a.community()).isEqualTo("public");
        assertThat(a.access()).isEqualTo(org.neguard.harden.SnmpAccess.Access.READ);
      });
    });
    assertThat(v2cScan.notes())
        .anyMatch(n -> n.contains("snmp tcp/161 v1 served, v2c served, v3 served"));
    assertThat(v2cScan.parameters()).containsEntry("snmpTcpMaxMessageBytes", "65535");
  }

  @Test
  @DisplayName("HRD-1, HRD-5: a 'v3 only' policy on udp/161 against v2c served over TCP:"
      + " PROTOCOL_VERSION on tcp/161, naming the TCP requests answered, not only 'undeclared'")
  void evaluate_udpV3OnlyPolicy_v2cOverTcp_failsNamingTcp() throws Exception {
    Evaluation e = Evaluator.evaluate(policy(UDP_POLICY), v2cScan);
    PortFinding f = ProtocolVersionDaemonsTest.finding(e, Transport.TCP, 161);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.rule()).isEqualTo("protocol-version");
    assertThat(f.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(f.reason().message()).contains("udp/161 is allowed as snmp v3 only")
        .contains("snmp v2c on tcp/161: GET sysDescr.0 with 'public' -> served");
    assertThat(f.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-4", "HRD-5");
    assertThat(verdict(e, "HRD-1")).isEqualTo(Verdict.FAIL);
    assertThat(verdict(e, "HRD-5")).isEqualTo(Verdict.FAIL);
    assertThat(e.verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-1, HRD-5: 'v3 only' declared on tcp/161 too against v2c served over TCP:"
      + " PROTOCOL_VERSION on the declared tcp/161")
  void evaluate_tcpV3OnlyPolicy_v2cOverTcp_fails() throws Exception {
    Evaluation e = Evaluator.evaluate(policy(BOTH_POLICY), v2cScan);
    PortFinding f = ProtocolVersionDaemonsTest.finding(e, Transport.TCP, 161);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(f.reason().message()).contains("tcp/161 on ").contains("allowed as snmp v3 only")
        .contains("snmp v1 on tcp/161").contains("snmp v2c on tcp/161");
    assertThat(f.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
    assertThat(verdict(e, "HRD-5")).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-1, HRD-5: snmpd serving v3 only over TCP: v1/v2c GET and SET silent over TCP,"
      + " v3 answered, and the 'v3 only' policy passes on tcp/161")
  void evaluate_v3OnlyOverTcp_passes() throws Exception {
    List<ProtocolProbe> tcp = snmp(v3Scan, Transport.TCP);
    assertThat(tcp).filteredOn(p -> !p.version().equals("v3")).isNotEmpty()
        .allSatisfy(p -> {
          assertThat(p.result()).isEqualTo(Result.SILENT);
          assertThat(p.detail()).contains("connected over TCP; nothing came back");
        })
        .anyMatch(p -> p.request().startsWith("SET sysContact.0"));
    assertThat(tcp).filteredOn(p -> p.version().equals("v3")).singleElement()
        .satisfies(p -> assertThat(p.detail()).containsPattern("engine ID 80[0-9a-f]{8,}"));
    Evaluation e = Evaluator.evaluate(policy(BOTH_POLICY), v3Scan);
    assertThat(ProtocolVersionDaemonsTest.finding(e, Transport.TCP, 161).status())
        .isEqualTo(PortStatus.ALLOWED);
    assertThat(ProtocolVersionDaemonsTest.finding(e, Transport.TCP, 161).note())
        .contains("snmp v3 only confirmed");
    for (String id : List.of("HRD-1", "HRD-4", "HRD-5")) {
      assertThat(verdict(e, id)).as(id + " in " + e.reasons()).isEqualTo(Verdict.PASS);
    }
    assertThat(e.reasons()).isEmpty();
  }

  @Test
  @DisplayName("HRD-3: a TCP listener on 161 that accepts and never answers: every SNMP request"
      + " SILENT within the timeout bound, and the 'v3 only' policy is never a pass")
  void probe_silentPeer_silentAndBounded() throws Exception {
    long t0 = System.nanoTime();
    List<ProtocolProbe> r = probe(SILENT);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    // GETs, then SETs for the silent ones, each TIMEOUT once (no retry); discovery alongside.
    assertThat(ms).as("elapsed ms").isLessThan(4 * TIMEOUT.toMillis() + 2000);
    assertThat(r).isNotEmpty().allSatisfy(p -> {
      assertThat(p.transport()).isEqualTo(Transport.TCP);
      assertThat(p.result()).isEqualTo(Result.SILENT);
    });
    assertThat(snmp(silentScan, Transport.TCP)).isNotEmpty()
        .extracting(ProtocolProbe::result).containsOnly(Result.SILENT);
    Evaluation e = Evaluator.evaluate(policy(BOTH_POLICY), silentScan);
    PortFinding f = ProtocolVersionDaemonsTest.finding(e, Transport.TCP, 161);
    assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(f.reason().message()).contains("no allowed version (v3) answered");
    assertThat(e.verdict()).isNotEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("HRD-3: a peer whose first BER header announces a 2 GiB message: the connection is"
      + " dropped at the 65535-byte cap, nothing of that size is allocated, every request"
      + " UNDECIDED with that reason")
  void probe_hugeBerLength_undecidedNoAllocation() throws Exception {
    Runtime rt = Runtime.getRuntime();
    long t0 = System.nanoTime();
    List<ProtocolProbe> r = probe(HUGE);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(4 * TIMEOUT.toMillis() + 2000);
    assertThat(r).isNotEmpty().allSatisfy(p -> {
      assertThat(p.result()).isEqualTo(Result.UNDECIDED);
      assertThat(p.detail()).contains("announced a message of 2147483653 bytes")
          .contains("over the 65535-byte cap");
    });
    // No 2 GiB buffer could have been had: a heap that would have needed it is not this one.
    assertThat(rt.totalMemory() - rt.freeMemory()).isLessThan(Integer.MAX_VALUE);
  }

  @Test
  @DisplayName("HRD-3: a peer sending an endless stream of text: read in bounded messages, every"
      + " request UNDECIDED (not SNMP), within the timeout bound")
  void probe_endlessGarbage_undecidedBounded() throws Exception {
    long t0 = System.nanoTime();
    List<ProtocolProbe> r = probe(ENDLESS);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(4 * TIMEOUT.toMillis() + 3000);
    assertThat(r).isNotEmpty().allSatisfy(p -> {
      assertThat(p.result()).isEqualTo(Result.UNDECIDED);
      assertThat(p.detail()).containsPattern("\\d+ message\\(s\\) from the peer were not SNMP");
    });
  }

  @Test
  @DisplayName("HRD-3: a peer that closes the connection mid-message, and a port where nothing"
      + " listens: UNDECIDED with the reason, never SILENT, never a stack trace")
  void probe_cutOrRefused_undecidedWithReason() throws Exception {
    List<ProtocolProbe> cut = probe(CUT);
    assertThat(cut).isNotEmpty().allSatisfy(p -> {
      assertThat(p.result()).isEqualTo(Result.UNDECIDED);
      assertThat(p.detail()).contains("the connection was closed");
    });
    long t0 = System.nanoTime();
    List<ProtocolProbe> refused = probe(NOTHING);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);
    assertThat(refused).isNotEmpty().allSatisfy(p -> {
      assertThat(p.result()).isEqualTo(Result.UNDECIDED);
      assertThat(p.detail()).contains("cannot connect to tcp/" + NOTHING);
    });
    assertThat(refused.stream().map(ProtocolProbe::version).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("v1", "v2c", "v3");
  }
}
