package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.testing.NetnsHost;
import org.neguard.verdict.ReasonCode;

/**
 * HRD-1, HRD-5 (seed 003: "forbidding early versions" of SNMP and NFS): the version probes and the
 * policy's {@code protocol: {versions: [...]}} against real daemons, in two network namespaces
 * this class creates, both scanned in full and judged against one policy (SNMP v3 only, NFS v4
 * only):
 *
 * <ul>
 *   <li>the compliant host: net-snmp's snmpd with one SNMPv3 user and no community (createUser +
 *       rouser), NFS-Ganesha with {@code Protocols = 4} and no UDP, and rpcbind;
 *   <li>the non-compliant host: the same snmpd plus {@code rocommunity public} (v1 and v2c), and
 *       NFS-Ganesha with {@code Protocols = 3, 4}, which registers its mountd with rpcbind.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolVersionDaemonsTest {
  static final String POLICY = String.join("\n",
      "schema: neguard-hardening-policy/1",
      "neType: oam-nfs",
      "allowed:",
      "  - transport: udp",
      "    port: 161",
      "    service: snmp",
      "    justification: SNMPv3 monitoring from the OAM network; v1 and v2c must be off",
      "    protocol:",
      "      versions: [v3]",
      "  - transport: tcp",
      "    port: 2049",
      "    service: nfs",
      "    justification: NFSv4 export of the NE's traces to the OAM server",
      "    protocol: {versions: [v4]}",
      "  - {transport: tcp, port: 111, service: rpcbind, justification: the portmapper Ganesha registers with}",
      "  - {transport: udp, port: 111, service: rpcbind, justification: the portmapper Ganesha registers with}",
      "waivers:",
      "  - rule: nfs",
      "    transport: tcp",
      "    port: 2049",
      "    reason: NFSv4 only, enforced by the protocol rule (no v2/v3, no mountd)",
      "");

  NetnsHost good;
  NetnsHost bad;
  Observation goodScan;
  Observation badScan;
  /** The compliant host's --no-identify sweep, run alongside the full scans; its test reads it. */
  Future<Observation> goodSweptWithoutIdentification;
  ExecutorService pool;
  Policy policy;

  @BeforeAll
  void startAndScan() throws Exception {
    for (String p : List.of("snmpd", "ganesha.nfsd", "rpcbind")) {
      need(p);
    }
    policy = PolicyParser.parse(POLICY.getBytes(StandardCharsets.UTF_8), "oam-nfs.yaml");
    try {
      good = NetnsHost.create();
      bad = NetnsHost.create();
      // The two hosts share nothing (own namespace, address, /run and directory): each starts
      // its daemons and is scanned alongside the other, as two NEs would be, rather than after.
      // A scan mostly waits on the network: three at once take little longer than one.
      pool = Executors.newFixedThreadPool(3);
      CompletableFuture<Void> goodStarted = new CompletableFuture<>();
      Future<Observation> g = pool.submit(() -> {
        try {
          start(good, false);
        } catch (Exception | AssertionError e) {
          goodStarted.completeExceptionally(e);
          throw e;
        }
        goodStarted.complete(null);
        return HardenScanner.create(options(), ScanListener.NONE).scan(good.address());
      });
      Future<Observation> b = pool.submit(() -> {
        start(bad, true);
        return HardenScanner.create(options(), ScanListener.NONE).scan(bad.address());
      });
      goodSweptWithoutIdentification = pool.submit(() -> {
        goodStarted.get();
        return HardenScanner.create(options().withUdpPorts(PortList.of(161))
            .withCommunities(List.of("public")).withoutIdentification(), ScanListener.NONE)
            .scan(good.address());
      });
      goodScan = result(g);
      badScan = result(b);
    } catch (Exception | AssertionError e) {
      stop();
      throw e;
    }
  }

  @AfterAll
  void stop() throws Exception {
    if (pool != null) {
      pool.shutdownNow();
      // No scan is still running when the namespaces are closed.
      pool.awaitTermination(2, TimeUnit.MINUTES);
    }
    for (NetnsHost h : new NetnsHost[] {good, bad}) {
      if (h != null) {
        h.close();
        assertThat(h.leftNothing()).as("namespace, processes and files removed").isTrue();
      }
    }
  }

  /** The set-up's result, or what it threw (an AssertionError as itself). */
  private static Observation result(Future<Observation> f) throws Exception {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception x) {
        throw x;
      }
      if (e.getCause() instanceof Error x) {
        throw x;
      }
      throw e;
    }
  }

  /** A program the test drives must be there: missing, the test fails (never skips). */
  static void need(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return;
      }
    }
    throw new AssertionError("required program '" + program + "' is not on PATH: .ci/run installs"
        + " it (packaging/debian-packages.sh: snmpd, nfs-ganesha, nfs-ganesha-vfs, rpcbind, socat)");
  }

  /** Every TCP port, the baseline's UDP ports with SNMP and the portmapper, no SCTP. */
  private static ScanOptions options() {
    return ScanOptions.defaults()
        .withUdpPorts(PortList.of(7, 37, 69, 111, 161, 445, 1025, 2049))
        .withSctpPorts(PortList.none());
  }

  private static void start(NetnsHost ns, boolean v2cAndV3) throws Exception {
    Path d = ns.dir();
    String a = ns.address();
    Files.createDirectories(d.resolve("snmp"));
    Files.writeString(d.resolve("snmpd.conf"), String.join("\n",
        "agentAddress udp:" + a + ":161",
        // An SNMPv3 user (authPriv): what a v3-only agent serves.
        "createUser ngv3user SHA-256 \"ng-auth-pass-1\" AES \"ng-priv-pass-1\"",
        "rouser ngv3user priv",
        // The non-compliant agent also answers v1 and v2c (read-only: not HRD-5's write rule).
        v2cAndV3 ? "rocommunity public " + ns.hostAddress() : "",
        ""));
    NetnsHost.Daemon snmpd = ns.start("snmpd", "/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c",
        d.resolve("snmpd.conf").toString(), "-p", d.resolve("snmpd.pid").toString(),
        "--persistentDir=" + d.resolve("snmp"), "-M", d.resolve("snmp").toString(), "-I", "-smux");

    Files.createDirectories(d.resolve("ganesha/export"));
    Files.createDirectories(d.resolve("ganesha/recov"));
    Files.writeString(d.resolve("ganesha.conf"), String.join("\n",
        "NFS_CORE_PARAM { Bind_addr = " + a + "; NFS_Port = 2049; "
            + (v2cAndV3 ? "Protocols = 3, 4;" : "Protocols = 4; Enable_UDP = false;")
            + " Enable_NLM = false; Enable_RQUOTA = false; }",
        "NFS_KRB5 { Active_krb5 = false; }",
        "NFSV4 { RecoveryBackend = fs; RecoveryRoot = " + d.resolve("ganesha/recov") + "; Graceless = true; }",
        "EXPORT { Export_Id = 1; Path = " + d.resolve("ganesha/export") + "; Pseudo = /export; Access_Type = RO;",
        "  Squash = root_squash; SecType = sys; FSAL { Name = VFS; } }", ""));
    // rpcbind locks /run/rpcbind.lock and Ganesha registers through /run/rpcbind.sock: with the
    // host's /run, two namespaces (or another test's) could not each have one. 'ip netns exec'
    // runs in a mount namespace of its own, so a tmpfs on /run there is private to this pair.
    NetnsHost.Daemon ganesha = ns.start("rpcbind-ganesha", "sh", "-c", String.join("\n",
        "mount -t tmpfs -o mode=0755 tmpfs /run",
        "rpcbind -f &",
        "i=0; while [ ! -S /run/rpcbind.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done",
        "exec ganesha.nfsd -F -f " + d.resolve("ganesha.conf") + " -L " + d.resolve("ganesha.log")
            + " -p " + d.resolve("ganesha.pid")));
    ns.awaitListening(ganesha, Transport.TCP, 111, Duration.ofSeconds(10));
    ns.awaitListening(snmpd, Transport.UDP, 161, Duration.ofSeconds(10));
    ns.awaitListening(ganesha, Transport.TCP, 2049, Duration.ofSeconds(20));
  }

  private static List<ProtocolProbe> probes(Observation o, String protocol, String version) {
    return o.protocolProbes().stream()
        .filter(p -> p.protocol().equals(protocol) && p.version().equals(version)).toList();
  }

  static PortFinding finding(Evaluation e, Transport t, int port) {
    Optional<PortFinding> f = e.findings().stream()
        .filter(x -> x.port().transport() == t && x.port().port() == port).findFirst();
    assertThat(f).as(t + "/" + port + " in " + e.findings()).isPresent();
    return f.get();
  }

  @Test
  @DisplayName("HRD-5: SNMPv3-only snmpd: v1 and v2c GET and SET with public, private and the"
      + " scan's communities get no answer; the v3 engine-ID discovery is answered")
  void snmpProbe_v3OnlyAgent_v1v2cSilentV3Served() {
    for (String v : List.of("v1", "v2c")) {
      List<ProtocolProbe> asked = probes(goodScan, "snmp", v);
      assertThat(asked).extracting(ProtocolProbe::result).containsOnly(Result.SILENT);
      assertThat(asked).extracting(ProtocolProbe::request).anyMatch(r -> r.contains("GET sysDescr.0 with 'public'"))
          .anyMatch(r -> r.contains("GET sysDescr.0 with 'private'"))
          .anyMatch(r -> r.contains("SET sysContact.0") && r.contains("'public'"))
          .anyMatch(r -> r.contains("a 9-character community")); // "community", from the scan
    }
    List<ProtocolProbe> v3 = probes(goodScan, "snmp", "v3");
    assertThat(v3).singleElement().satisfies(p -> {
      assertThat(p.result()).isEqualTo(Result.SERVED);
      assertThat(p.detail()).contains("usmStatsUnknownEngineIDs").containsPattern("engine ID 80[0-9a-f]{8,}");
    });
    // The v2c payload of the UDP phase went unanswered: only v3 shows the port is open.
    assertThat(goodScan.ports()).anySatisfy(p -> {
      assertThat(p.transport()).isEqualTo(Transport.UDP);
      assertThat(p.port()).isEqualTo(161);
      assertThat(p.state()).isEqualTo(PortState.OPEN);
      assertThat(p.evidence()).contains("v3");
    });
  }

  @Test
  @DisplayName("HRD-5: snmpd with a v2c rocommunity answers v1 and v2c GET with 'public'")
  void snmpProbe_v2cAgent_v1v2cServed() {
    for (String v : List.of("v1", "v2c")) {
      assertThat(probes(badScan, "snmp", v)).filteredOn(p -> p.result() == Result.SERVED)
          .extracting(ProtocolProbe::request).containsExactly("GET sysDescr.0 with 'public'");
    }
    assertThat(probes(badScan, "snmp", "v3")).extracting(ProtocolProbe::result)
        .containsExactly(Result.SERVED);
  }

  @Test
  @DisplayName("HRD-5: Ganesha with Protocols = 4: NFSv2/v3 NULL calls get PROG_MISMATCH (4 to 4),"
      + " v4 is accepted, no mountd registered with rpcbind or answering on 20048")
  void nfsProbe_v4OnlyGanesha_v2v3RefusedNoMountd() {
    for (String v : List.of("v2", "v3")) {
      assertThat(probes(goodScan, "nfs", v)).filteredOn(p -> p.transport() == Transport.TCP)
          .singleElement().satisfies(p -> {
            assertThat(p.result()).isEqualTo(Result.REFUSED);
            assertThat(p.detail()).contains("PROG_MISMATCH").contains("versions 4 to 4");
          });
      // No UDP at all on this host: each UDP call is refused by ICMP (or, when Linux's ICMP rate
      // limit swallowed the refusal, unanswered), never accepted.
      assertThat(probes(goodScan, "nfs", v)).filteredOn(p -> p.transport() == Transport.UDP)
          .singleElement().extracting(ProtocolProbe::result).isIn(Result.REFUSED, Result.SILENT);
    }
    assertThat(probes(goodScan, "nfs", "v4")).filteredOn(p -> p.transport() == Transport.TCP)
        .extracting(ProtocolProbe::result).containsExactly(Result.SERVED);
    List<ProtocolProbe> mountd = goodScan.protocolProbes().stream()
        .filter(p -> p.protocol().equals("mountd")).toList();
    assertThat(mountd).filteredOn(p -> p.port() == 111).singleElement().satisfies(p -> {
      assertThat(p.result()).isEqualTo(Result.REFUSED);
      assertThat(p.detail()).contains("no mountd");
    });
    assertThat(mountd).hasSize(3);
    assertThat(mountd).filteredOn(p -> p.port() == NfsVersionProbe.MOUNTD_PORT
        && p.transport() == Transport.TCP).singleElement()
        .extracting(ProtocolProbe::result).isEqualTo(Result.REFUSED);
    assertThat(mountd).filteredOn(p -> p.port() == NfsVersionProbe.MOUNTD_PORT
        && p.transport() == Transport.UDP).singleElement()
        .extracting(ProtocolProbe::result).isIn(Result.REFUSED, Result.SILENT);
  }

  @Test
  @DisplayName("HRD-5: Ganesha with Protocols = 3, 4: NFSv3 is accepted over TCP and UDP, and its"
      + " mountd is registered with rpcbind and answers on the port rpcbind gives")
  void nfsProbe_v3Ganesha_v3ServedMountdFound() {
    assertThat(probes(badScan, "nfs", "v3")).extracting(ProtocolProbe::transport, ProtocolProbe::result)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(Transport.TCP, Result.SERVED),
            org.assertj.core.groups.Tuple.tuple(Transport.UDP, Result.SERVED));
    List<ProtocolProbe> mountd = badScan.protocolProbes().stream()
        .filter(p -> p.protocol().equals("mountd")).toList();
    assertThat(mountd).anySatisfy(p -> {
      assertThat(p.port()).isEqualTo(111);
      assertThat(p.result()).isEqualTo(Result.SERVED);
      assertThat(p.detail()).contains("mountd v3 tcp/");
    });
    assertThat(mountd).anySatisfy(p -> {
      assertThat(p.port()).isNotIn(111, NfsVersionProbe.MOUNTD_PORT);
      assertThat(p.result()).isEqualTo(Result.SERVED);
      assertThat(p.detail()).contains("a mountd runs here");
    });
  }

  @Test
  @DisplayName("HRD-1/HRD-5: the compliant host passes the policy: SNMP v3 only and NFS v4 only"
      + " confirmed, every requirement PASS")
  void evaluate_compliantHost_versionRulesConfirmedPass() {
    Evaluation e = Evaluator.evaluate(policy, goodScan);
    PortFinding snmp = finding(e, Transport.UDP, 161);
    assertThat(snmp.status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(snmp.note()).contains("snmp v3 only confirmed");
    PortFinding nfs = finding(e, Transport.TCP, 2049);
    assertThat(nfs.status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(nfs.note()).contains("nfs v4 only confirmed").contains("mountd");
    assertThat(e.reasons()).as("reasons").isEmpty();
    assertThat(e.requirement("HRD-1").orElseThrow().verdict()).isEqualTo(Verdict.PASS);
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.PASS);
    assertThat(e.verdict()).isEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("HRD-1/HRD-5: the compliant host scanned with --no-identify: no version probe, no"
      + " DUMP, and each version rule INCONCLUSIVE naming it, never the pass of a full scan")
  void evaluate_compliantHostWithoutIdentification_versionRulesInconclusive() throws Exception {
    Observation swept = result(goodSweptWithoutIdentification);
    assertThat(swept.protocolProbes()).isEmpty();
    assertThat(swept.notes()).noneMatch(n -> n.startsWith("RPC:"));
    Evaluation e = Evaluator.evaluate(policy, swept);
    for (PortFinding f : List.of(finding(e, Transport.UDP, 161), finding(e, Transport.TCP, 2049))) {
      assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
      assertThat(f.rule()).isEqualTo("protocol-version");
      assertThat(f.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
      assertThat(f.reason().message()).contains(" only, which could not be confirmed")
          .contains("the scan ran with --no-identify").contains("scan again without --no-identify");
    }
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
  }

  @Test
  @DisplayName("HRD-1/HRD-5: the non-compliant host fails with PROTOCOL_VERSION on udp/161 (v1 and"
      + " v2c answer) and on tcp/2049 (NFSv3 and a mountd), each message saying what to change")
  void evaluate_nonCompliantHost_protocolVersionFindings() {
    Evaluation e = Evaluator.evaluate(policy, badScan);
    PortFinding snmp = finding(e, Transport.UDP, 161);
    assertThat(snmp.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(snmp.rule()).isEqualTo("protocol-version");
    assertThat(snmp.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
    assertThat(snmp.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(snmp.reason().message()).contains("allowed as snmp v3 only")
        .contains("snmp v1 on udp/161: GET sysDescr.0 with 'public' -> served")
        .contains("snmp v2c on udp/161").contains("remove the rocommunity");
    PortFinding nfs = finding(e, Transport.TCP, 2049);
    assertThat(nfs.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(nfs.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(nfs.reason().message()).contains("allowed as nfs v4 only")
        .contains("nfs v3 on tcp/2049").contains("mountd any on tcp/111")
        .contains("Protocols = 4");
    assertThat(e.requirement("HRD-1").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-6: the version probes survive the observation's JSON (scan --json, then check)")
  void observation_jsonRoundTrip_keepsProtocolProbes() throws Exception {
    Observation back = ObservationCodec.decode(ObservationCodec.encode(badScan));
    assertThat(back.protocolProbes()).isEqualTo(badScan.protocolProbes()).isNotEmpty();
    assertThat(Evaluator.evaluate(policy, back).verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-6: the evidence (JSON and HTML) lists the policy's versions, every version"
      + " probe with its answer, and the PROTOCOL_VERSION discrepancy")
  @SuppressWarnings("unchecked")
  void evidence_nonCompliantHost_probesAndDiscrepancy() {
    Evaluation e = Evaluator.evaluate(policy, badScan);
    java.util.Map<String, Object> json = org.neguard.harden.report.EvidenceJson.of(e, "test");
    java.util.Map<String, Object> procedure = (java.util.Map<String, Object>) json.get("procedure");
    List<java.util.Map<String, Object>> probes =
        (List<java.util.Map<String, Object>>) procedure.get("protocolProbes");
    assertThat(probes).anySatisfy(x -> {
      assertThat(x).containsEntry("protocol", "snmp").containsEntry("version", "v2c")
          .containsEntry("port", "udp/161").containsEntry("result", "SERVED")
          .containsEntry("request", "GET sysDescr.0 with 'public'");
    });
    assertThat(probes).anySatisfy(x -> assertThat(x).containsEntry("protocol", "mountd")
        .containsEntry("port", "tcp/111").containsEntry("result", "SERVED"));
    List<java.util.Map<String, Object>> allowed = (List<java.util.Map<String, Object>>)
        ((java.util.Map<String, Object>) json.get("policy")).get("allowed");
    assertThat(allowed).anySatisfy(x -> assertThat(x).containsEntry("port", "udp/161")
        .containsEntry("versions", List.of("v3")));
    assertThat(json.get("reasons").toString()).contains("PROTOCOL_VERSION");
    assertThat(json.get("testCases").toString()).contains("Check the protocol versions the policy"
        + " allows (udp/161 snmp v3 only; tcp/2049 nfs v4 only)");
    String html = org.neguard.harden.report.HtmlReport.render(e, "test");
    assertThat(html).contains("Protocol-version probes")
        .contains("snmp v2c udp/161: GET sysDescr.0 with &#39;public&#39; -&gt; SERVED")
        .contains("protocol-version");
  }

  @Test
  @DisplayName("HRD-5: the SNMP version probe always asks with 'public' and 'private', besides the"
      + " communities given, and the scan's notes sum the versions up")
  void snmpProbe_defaultsAlwaysAsked_notesSummary() throws Exception {
    List<ProtocolProbe> r = new SnmpVersionProbe(java.net.InetAddress.getByName(bad.address()), 161,
        Duration.ofMillis(800), 0).probe(List.of("other-community"));
    assertThat(r).filteredOn(p -> p.version().equals("v2c")).extracting(ProtocolProbe::request)
        .contains("GET sysDescr.0 with 'public'", "GET sysDescr.0 with 'private'",
            "GET sysDescr.0 with a 15-character community");
    assertThat(r).filteredOn(p -> p.result() == Result.SERVED).extracting(ProtocolProbe::request)
        .containsExactlyInAnyOrder("GET sysDescr.0 with 'public'", "GET sysDescr.0 with 'public'",
            "engine-ID discovery (RFC 3414 4): no user, no engine ID");
    assertThat(goodScan.notes()).anyMatch(n -> n.startsWith("versions (protocolProbes): ")
        && n.contains("snmp udp/161 v1 silent, v2c silent, v3 served")
        && n.contains("nfs tcp/2049 v2 refused, v3 refused, v4 served"));
    assertThat(badScan.notes()).anyMatch(n -> n.contains("snmp udp/161 v1 served, v2c served"));
  }
}
