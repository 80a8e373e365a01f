package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.inventory.LocalInventory;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.testing.DaemonsHost;
import org.neguard.testing.NetnsHost;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.snmp4j.CommunityTarget;
import org.snmp4j.PDU;
import org.snmp4j.Snmp;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.smi.OID;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.UdpAddress;
import org.snmp4j.smi.VariableBinding;
import org.snmp4j.transport.DefaultUdpTransportMapping;

/**
 * HRD-3, HRD-5: the scanner against real daemons (Debian's inetutils-inetd with telnetd, rlogind,
 * rshd, fingerd; tftpd-hpa; net-snmp's snmpd; inetutils-ftpd; Samba; NFS-Ganesha with rpcbind; an
 * SSH-like declared service) in a network namespace this class creates ({@link DaemonsHost}, which
 * the sweep benchmark starts too), with nftables dropping one TCP and one UDP port. One namespace
 * and one full scan serve every test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HardenScanDaemonsTest {
  static final String RW = DaemonsHost.RW;
  static final String RO = DaemonsHost.RO;
  static final String PINNED_CONTACT = DaemonsHost.PINNED_CONTACT;
  static final int DROPPED_TCP = DaemonsHost.DROPPED_TCP;
  static final int DROPPED_UDP = DaemonsHost.DROPPED_UDP;
  static final int DECLARED_SSH = DaemonsHost.DECLARED_SSH;

  NetnsHost ns;
  Observation scan;
  List<NetnsHost.Daemon> started = new ArrayList<>();
  NetnsHost.Daemon snmpd;
  String locationBefore;

  @BeforeAll
  void startDaemonsAndScan() throws Exception {
    for (String p : DaemonsHost.PROGRAMS) {
      RequiredProgram.require(p);
    }
    ns = NetnsHost.create();
    try {
      DaemonsHost.Started s = DaemonsHost.start(ns);
      started.addAll(s.daemons());
      snmpd = s.snmpd();
      locationBefore = snmpGet(ns.address(), RW, "1.3.6.1.2.1.1.6.0");
      scan = HardenScanner.create(options(), ScanListener.NONE).scan(ns.address());
    } catch (Exception | AssertionError e) {
      ns.close();
      throw e;
    }
  }

  @AfterAll
  void stop() throws Exception {
    NetnsHost.closeChecked(ns);
  }

  ScanOptions options() {
    return ScanOptions.defaults()
        .withUdpPorts(PortList.of(7, 9, 13, 37, 69, 111, 123, 161, DROPPED_UDP, 2049))
        .withCommunities(List.of(RO, RW, "no-such-community"));
  }

  ObservedPort port(Transport t, int p) {
    return scan.ports().stream().filter(x -> x.transport() == t && x.port() == p).findFirst()
        .orElseThrow(() -> new AssertionError(t + " " + p + " not in the scan: " + scan.ports()));
  }

  @Test
  @DisplayName("HRD-3/HRD-5: every forbidden TCP service is open and identified by its banner or handshake")
  void scan_realDaemons_tcpServicesIdentified() {
    assertThat(scan.complete()).as(scan.notes().toString()).isTrue();
    assertService(Transport.TCP, 21, "ftp");
    assertService(Transport.TCP, 23, "telnet");
    assertService(Transport.TCP, 107, "telnet");
    assertService(Transport.TCP, 79, "finger");
    assertService(Transport.TCP, 513, "rlogin");
    assertService(Transport.TCP, 514, "rsh");
    assertService(Transport.TCP, 7, "echo");
    assertService(Transport.TCP, 37, "time");
    assertService(Transport.TCP, 445, "smb");
    assertService(Transport.TCP, 111, "rpcbind");
    assertService(Transport.TCP, 2049, "nfs");
    assertThat(port(Transport.TCP, 9).state()).isEqualTo(PortState.OPEN); // discard: open, says nothing
    assertThat(port(Transport.TCP, 21).evidence()).contains("220");
  }

  @Test
  @DisplayName("HRD-1/HRD-4/HRD-5: the live scan judged against a policy: every forbidden service"
      + " flagged with its rule, SNMP write forbidden, the declared service allowed")
  void evaluate_liveScan_forbiddenFlaggedDeclaredAllowed() throws Exception {
    Policy policy = PolicyParser.parse(String.join("\n",
        "schema: neguard-hardening-policy/1",
        "neType: test-ne",
        "allowed:",
        "  - transport: tcp",
        "    port: " + DECLARED_SSH,
        "    service: ssh",
        "    justification: OAM shell of the test NE",
        "").getBytes(java.nio.charset.StandardCharsets.UTF_8), "test-policy.yaml");
    Evaluation e = Evaluator.evaluate(policy, scan);
    for (int p : List.of(7, 21, 23, 37, 79, 107, 445, 513, 514, 2049)) {
      PortFinding f = finding(e, Transport.TCP, p);
      assertThat(f.status()).as("tcp/%d: %s", p, f).isEqualTo(PortStatus.FORBIDDEN);
      assertThat(f.rule()).as("tcp/%d names its rule", p).isNotBlank();
      assertThat(f.reason().code()).isEqualTo(ReasonCode.FORBIDDEN_SERVICE);
    }
    PortFinding snmp = finding(e, Transport.UDP, 161);
    assertThat(snmp.status()).as(snmp.toString()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(snmp.rule()).containsIgnoringCase("snmp");
    assertThat(finding(e, Transport.UDP, 69).status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(finding(e, Transport.TCP, DECLARED_SSH).status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(finding(e, Transport.TCP, 9).status()).isEqualTo(PortStatus.UNDECLARED);
    assertThat(e.passed()).isFalse();
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
  }

  private PortFinding finding(Evaluation e, Transport t, int p) {
    return e.findings().stream()
        .filter(f -> f.port().transport() == t && f.port().port() == p).findFirst()
        .orElseThrow(() -> new AssertionError(t + " " + p + " not judged: " + e.findings()));
  }

  @Test
  @DisplayName("HRD-2: the declared SSH-like service is found and identified")
  void scan_declaredService_identifiedAsSsh() {
    assertService(Transport.TCP, DECLARED_SSH, "ssh");
    assertThat(port(Transport.TCP, DECLARED_SSH).evidence()).contains("SSH-2.0-OpenSSH_9.2p1");
  }

  @Test
  @DisplayName("HRD-3: the TCP scan finds exactly the ports the namespace's inventory lists as listening")
  void scan_tcpOpenPorts_equalNamespaceInventory() throws Exception {
    Observation inv = LocalInventory.ofNamespaceOf(snmpd.pid()).take();
    List<Integer> listening = inv.ports().stream().filter(p -> p.transport() == Transport.TCP)
        .filter(p -> !p.address().startsWith("127.") && !p.address().equals("::1"))
        .map(ObservedPort::port).distinct().sorted().toList();
    List<Integer> open = scan.ports().stream().filter(p -> p.transport() == Transport.TCP && p.state() == PortState.OPEN)
        .map(ObservedPort::port).sorted().toList();
    assertThat(open).isEqualTo(listening);
  }

  @Test
  @DisplayName("HRD-2: the inventory of the namespace names each daemon's process, executable and user")
  void inventory_namespaceDaemons_ownersFromProc() throws Exception {
    Observation inv = LocalInventory.ofNamespaceOf(snmpd.pid()).take();
    assertOwner(inv, Transport.UDP, 161, "snmpd", "/usr/sbin/snmpd");
    assertOwner(inv, Transport.TCP, 23, "inetutils-inetd", "/usr/sbin/inetutils-inetd");
    assertOwner(inv, Transport.UDP, 69, "in.tftpd", "/usr/sbin/in.tftpd");
    assertOwner(inv, Transport.TCP, 21, "ftpd", "/usr/sbin/ftpd");
    assertOwner(inv, Transport.TCP, 445, "smbd", "/usr/sbin/smbd");
    assertOwner(inv, Transport.TCP, 2049, "ganesha.nfsd", "/usr/bin/ganesha.nfsd");
  }

  @Test
  @DisplayName("HRD-3: UDP services answer their real payloads; a closed UDP port is conclusively closed")
  void scan_udpProbes_servicesAndClosed() {
    assertService(Transport.UDP, 7, "echo");
    assertService(Transport.UDP, 37, "time");
    assertService(Transport.UDP, 69, "tftp");
    assertService(Transport.UDP, 111, "rpcbind");
    assertService(Transport.UDP, 2049, "nfs");
    assertService(Transport.UDP, 161, "snmp");
    assertThat(port(Transport.UDP, 123).state()).isEqualTo(PortState.CLOSED);
    assertThat(port(Transport.UDP, 123).evidence()).contains("ICMP port unreachable");
    assertThat(port(Transport.UDP, 9).state()).as("discard never answers").isEqualTo(PortState.OPEN_FILTERED);
    assertThat(scan.notes()).anyMatch(n -> n.startsWith("UDP: conclusively closed") && n.contains("123"));
  }

  @Test
  @DisplayName("HRD-5: SNMP write access found for the rw community (past a pinned object), not for the ro one")
  void scan_snmp_writeForRwCommunityOnly() throws Exception {
    ObservedPort snmp = port(Transport.UDP, 161);
    assertThat(access(snmp, "v2c", RW).access()).isEqualTo(SnmpAccess.Access.WRITE);
    // A value of the wrong type answers the access question and is never stored (RFC 3416
    // checks access before type), so the probe writes back nothing it read earlier.
    assertThat(access(snmp, "v2c", RW).detail()).contains("wrongType", "nothing was changed");
    assertThat(access(snmp, "v1", RW).detail()).contains("badValue");
    assertThat(access(snmp, "v2c", RO).access()).isEqualTo(SnmpAccess.Access.READ);
    assertThat(access(snmp, "v2c", RO).detail()).contains("noAccess");
    assertThat(access(snmp, "v1", RW).access()).isEqualTo(SnmpAccess.Access.WRITE);
    assertThat(access(snmp, "v1", RO).access()).isEqualTo(SnmpAccess.Access.READ);
    assertThat(access(snmp, "v2c", "no-such-community").access()).isEqualTo(SnmpAccess.Access.NONE);
    assertThat(snmp.snmpWritable()).isTrue();
    // HRD-6: the secret community reaches no evidence text, only its length.
    assertThat(snmp.evidence()).contains("a 11-character community").doesNotContain(RW);
    assertThat(scan.parameters().get("snmpCommunities")).doesNotContain(RW)
        .contains("a 11-character community");
    // The probe leaves nothing changed.
    assertThat(snmpGet(ns.address(), RW, "1.3.6.1.2.1.1.6.0")).isEqualTo(locationBefore);
    assertThat(snmpGet(ns.address(), RW, "1.3.6.1.2.1.1.4.0")).isEqualTo(PINNED_CONTACT);
  }

  @Test
  @DisplayName("HRD-5: a community that may write is found even on an object the agent pins, and"
      + " the pinned value stays")
  void snmpProbe_pinnedObject_writeFoundNothingChanged() throws Exception {
    SnmpWriteProbe probe = new SnmpWriteProbe(java.net.InetAddress.getByName(ns.address()), 161, Duration.ofMillis(800), 1);
    List<SnmpAccess> r = probe.probe(List.of(RW, RO));
    assertThat(r).filteredOn(x -> x.community().equals(RW))
        .allSatisfy(x -> assertThat(x.access()).isEqualTo(SnmpAccess.Access.WRITE));
    assertThat(r).filteredOn(x -> x.community().equals(RO))
        .allSatisfy(x -> assertThat(x.access()).isEqualTo(SnmpAccess.Access.READ));
    assertThat(probe.notes()).isEmpty();
    assertThat(snmpGet(ns.address(), RW, "1.3.6.1.2.1.1.4.0")).isEqualTo(PINNED_CONTACT);
  }

  @Test
  @DisplayName("HRD-3: a port dropped by the firewall is filtered: never open, never closed (TCP and UDP)")
  void scan_droppedPorts_filteredNotClosed() {
    ObservedPort tcp = port(Transport.TCP, DROPPED_TCP);
    assertThat(tcp.state()).isEqualTo(PortState.FILTERED);
    ObservedPort udp = port(Transport.UDP, DROPPED_UDP);
    assertThat(udp.state()).isEqualTo(PortState.OPEN_FILTERED);
    assertThat(scan.notes()).anyMatch(n -> n.startsWith("UDP:") && n.contains("open|filtered") && n.contains(Integer.toString(DROPPED_UDP)));
  }

  @Test
  @DisplayName("SCTP: without SCTP in the kernel, SCTP ports are NOT_CHECKED with the reason, never closed")
  void scan_noSctpInKernel_notChecked() {
    Optional<String> why = SctpProbe.unavailable();
    List<ObservedPort> sctp = scan.ports().stream().filter(p -> p.transport() == Transport.SCTP).toList();
    assertThat(sctp).extracting(ObservedPort::port).contains(36412, 29118);
    if (why.isPresent()) {
      assertThat(sctp).allMatch(p -> p.state() == PortState.NOT_CHECKED && p.evidence().contains(why.get()));
      assertThat(scan.notes()).anyMatch(n -> n.startsWith("SCTP:") && n.contains("not checked"));
    } else {
      assertThat(sctp).allMatch(p -> p.state() != PortState.NOT_CHECKED);
    }
  }

  @Test
  @DisplayName("HRD-3: ICMP rate limiting is paced around: 20 closed UDP ports all end conclusively closed")
  void scan_manyClosedUdpPorts_pacedUntilConclusive() throws Exception {
    ScanOptions o = options().withTcpPorts(PortList.of(DECLARED_SSH)).withUdpPorts(PortList.parse("40001-40020"))
        .withSctpPorts(PortList.none()).withCommunities(List.of());
    Observation r = HardenScanner.create(o, ScanListener.NONE).scan(ns.address());
    List<ObservedPort> udp = r.ports().stream().filter(p -> p.transport() == Transport.UDP).toList();
    assertThat(udp).hasSize(20).allMatch(p -> p.state() == PortState.CLOSED);
    assertThat(r.notes()).anyMatch(n -> n.contains("ICMP rate limiting seen"));
  }

  @Test
  @DisplayName("HRD-3: an unreachable target is TARGET_UNREACHABLE, not an empty pass")
  void scan_unreachableAddress_targetUnreachable() {
    ScanOptions o = options().withTcpPorts(PortList.parse("1-1024")).withCommunities(List.of());
    assertThatThrownBy(() -> HardenScanner.create(o, ScanListener.NONE).scan(ns.unusedAddress()))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.TARGET_UNREACHABLE));
  }

  @Test
  @DisplayName("HRD-3: a scan interrupted (Ctrl-C) yields an observation marked incomplete")
  void scan_interrupted_incompleteObservation() throws Exception {
    // The cancel must land inside the TCP sweep, which on a quiet machine takes well under a
    // second: the sweep's first progress report (every 100 ms, one connect at a time) holds its
    // thread until the cancel is made, so the phase cannot end first.
    CountDownLatch inSweep = new CountDownLatch(1);
    CountDownLatch cancelMade = new CountDownLatch(1);
    ScanListener holdInSweep = (phase, done, total) -> {
      if (phase.equals("tcp") && done < total && inSweep.getCount() > 0) {
        inSweep.countDown();
        try {
          cancelMade.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    ScanOptions slow = options().withTcpTiming(1, Duration.ofMillis(1000), 1);
    HardenScanner scanner = HardenScanner.create(slow, holdInSweep);
    CompletableFuture<Observation> f = CompletableFuture.supplyAsync(() -> {
      try {
        return scanner.scan(ns.address());
      } catch (RefusalException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(inSweep.await(20, TimeUnit.SECONDS)).as("the sweep reported its progress").isTrue();
    scanner.cancel();
    cancelMade.countDown();
    Observation o = f.get(20, TimeUnit.SECONDS);
    assertThat(o.complete()).isFalse();
    assertThat(o.notes()).anyMatch(n -> n.startsWith("INCOMPLETE") && n.contains("tcp"));
  }

  @Test
  void scan_observation_roundTripsThroughJson() throws Exception {
    assertThat(ObservationCodec.decode(ObservationCodec.encode(scan))).isEqualTo(scan);
    assertThat(scan.source()).isEqualTo("scan");
    assertThat(scan.parameters()).containsEntry("address", ns.address()).containsKey("snmpCommunities");
  }

  private void assertService(Transport t, int p, String service) {
    ObservedPort port = port(t, p);
    assertThat(port.state()).as("%s %d: %s", t, p, port).isEqualTo(PortState.OPEN);
    assertThat(port.service()).as("%s %d: %s", t, p, port).isEqualTo(service);
  }

  private static SnmpAccess access(ObservedPort p, String version, String community) {
    return p.snmp().stream().filter(a -> a.version().equals(version) && a.community().equals(community))
        .findFirst().orElseThrow(() -> new AssertionError(version + " " + community + " not probed: " + p.snmp()));
  }

  private static void assertOwner(Observation inv, Transport t, int port, String name, String exe) {
    ProcessInfo p = inv.ports().stream().filter(x -> x.transport() == t && x.port() == port)
        .map(ObservedPort::process).filter(java.util.Objects::nonNull).findFirst()
        .orElseThrow(() -> new AssertionError(t + " " + port + " has no owner: " + inv.ports()));
    assertThat(p.name()).isEqualTo(name);
    assertThat(p.executable()).isEqualTo(exe);
    assertThat(p.user()).isEqualTo("root");
  }

  static String snmpGet(String address, String community, String oid) throws Exception {
    DefaultUdpTransportMapping transport = new DefaultUdpTransportMapping();
    try (Snmp snmp = new Snmp(transport)) {
      transport.listen();
      CommunityTarget<UdpAddress> t = new CommunityTarget<>(new UdpAddress(address + "/161"), new OctetString(community));
      t.setVersion(SnmpConstants.version2c);
      t.setTimeout(1000);
      t.setRetries(2);
      PDU pdu = new PDU();
      pdu.add(new VariableBinding(new OID(oid)));
      PDU r = snmp.get(pdu, t).getResponse();
      assertThat(r).as("snmpd answers GET").isNotNull();
      return r.get(0).getVariable().toString();
    }
  }
}
