package org.neguard.harden.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.harden.Transport.TCP;
import static org.neguard.harden.Transport.UDP;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProtocolProbe;
import org.neguard.harden.ProtocolProbe.Result;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.Transport;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.verdict.ReasonCode;

/**
 * HRD-1/HRD-5: the judgement of {@code protocol: {versions: [...]}} from version probes, each
 * rule of {@link ProtocolVersions} on its own (the real daemons are in
 * {@code ProtocolVersionDaemonsTest}). Silence passes only next to an allowed version that
 * answered: fail closed.
 */
class ProtocolVersionsTest {
  static final Policy POLICY = policy();

  private static Policy policy() {
    try {
      return PolicyParser.parse(String.join("\n",
          "schema: neguard-hardening-policy/1",
          "neType: oam",
          "allowed:",
          "  - {transport: udp, port: 161, service: snmp, justification: v3 monitoring,"
              + " protocol: {versions: [v3]}}",
          "  - {transport: tcp, port: 2049, service: nfs, justification: traces,"
              + " protocol: {versions: [v4]}}",
          "waivers:",
          "  - {rule: nfs, transport: tcp, port: 2049, reason: NFSv4 only}", "")
          .getBytes(StandardCharsets.UTF_8), "oam.yaml");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static ProtocolProbe snmp(String version, Result r) {
    return new ProtocolProbe("snmp", UDP, 161, version, version.equals("v3") ? "engine-ID discovery"
        : "GET sysDescr.0 with 'public'", r, r == Result.SERVED ? "answered" : "no answer");
  }

  static ProtocolProbe nfs(Transport t, String version, Result r) {
    return new ProtocolProbe("nfs", t, 2049, version, "RPC NULL", r, "status");
  }

  static ProtocolProbe mountd(int port, String version, Result r) {
    return new ProtocolProbe("mountd", TCP, port, version, "lookup", r, "detail");
  }

  /** A v3-only SNMP agent: the write probe heard nothing from any community. */
  static ObservedPort snmpPort(PortState s) {
    return new ObservedPort(UDP, "192.0.2.7", 161, s, "snmp", "v3 answered", null,
        List.of(new SnmpAccess("v2c", "public", SnmpAccess.Access.NONE, "no answer"),
            new SnmpAccess("v1", "public", SnmpAccess.Access.NONE, "no answer")));
  }

  static ObservedPort nfsPort() {
    return new ObservedPort(TCP, "192.0.2.7", 2049, PortState.OPEN, "nfs", "rpc", null, List.of());
  }

  static Observation scan(List<ObservedPort> ports, List<ProtocolProbe> probes) {
    Observation o = Observations.scan().build();
    return new Observation(o.source(), o.host(), o.scanner(), o.tool(), o.started(), o.finished(),
        true, o.parameters(), ports, o.notes(), probes);
  }

  static PortFinding only(Observation o) {
    Evaluation e = Evaluator.evaluate(POLICY, o);
    assertThat(e.findings()).hasSize(1);
    return e.findings().get(0);
  }

  static List<ProtocolProbe> v1v2cSilentV3Served() {
    return List.of(snmp("v1", Result.SILENT), snmp("v2c", Result.SILENT), snmp("v3", Result.SERVED));
  }

  static List<ProtocolProbe> nfsV4Only() {
    return new ArrayList<>(List.of(nfs(TCP, "v2", Result.REFUSED), nfs(TCP, "v3", Result.REFUSED),
        nfs(TCP, "v4", Result.SERVED), nfs(UDP, "v3", Result.SILENT),
        mountd(111, "any", Result.REFUSED), mountd(20048, "v3", Result.REFUSED)));
  }

  @Test
  @DisplayName("HRD-1/HRD-5: SNMP v3 answered, v1 and v2c silent: allowed, every requirement PASS")
  void snmp_v3AnsweredOthersSilent_pass() {
    Evaluation e = Evaluator.evaluate(POLICY, scan(List.of(snmpPort(PortState.OPEN)),
        v1v2cSilentV3Served()));
    assertThat(e.findings().get(0).status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(e.findings().get(0).note()).contains("snmp v3 only confirmed");
    assertThat(e.verdict()).isEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("HRD-1/HRD-5: SNMPv2c answered where only v3 is allowed: PROTOCOL_VERSION, a FAIL"
      + " of HRD-1 and HRD-5")
  void snmp_v2cAnswered_protocolVersion() {
    Evaluation e = Evaluator.evaluate(POLICY, scan(List.of(snmpPort(PortState.OPEN)),
        List.of(snmp("v1", Result.SILENT), snmp("v2c", Result.SERVED), snmp("v3", Result.SERVED))));
    PortFinding f = e.findings().get(0);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.rule()).isEqualTo("protocol-version");
    assertThat(f.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(f.reason().message()).contains("udp/161").contains("allowed as snmp v3 only")
        .contains("snmp v2c on udp/161: GET sysDescr.0 with 'public' -> served")
        .doesNotContain("snmp v1 on").contains("check again");
    assertThat(e.requirement("HRD-1").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
  }

  @Test
  @DisplayName("HRD-5: nothing answers at all (v3 silent too, port open|filtered): INCONCLUSIVE,"
      + " never a pass")
  void snmp_nothingAnswers_inconclusive() {
    List<ProtocolProbe> silent = List.of(snmp("v1", Result.SILENT), snmp("v2c", Result.SILENT),
        snmp("v3", Result.SILENT));
    PortFinding f = only(scan(List.of(snmpPort(PortState.OPEN_FILTERED)), silent));
    assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(f.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
    assertThat(f.reason().message()).contains("could not be confirmed")
        .contains("open|filtered (nothing answered)").contains("no allowed version (v3) answered");
    assertThat(f.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
    // Open (some other reply) but still no v3 answer: as undecided.
    PortFinding open = only(scan(List.of(snmpPort(PortState.OPEN)), silent));
    assertThat(open.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(open.reason().message()).contains("no allowed version (v3) answered");
  }

  @Test
  @DisplayName("HRD-5: an inventory or nmap import has no version probes: INCONCLUSIVE, naming"
      + " the NEGuard scan")
  void snmp_noProbes_inconclusive() {
    Observation o = Observations.inventory().snmp(161).open(TCP, 2049, "nfs").build();
    Evaluation e = Evaluator.evaluate(POLICY, o);
    PortFinding snmp = e.findings().get(0);
    assertThat(snmp.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(snmp.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
    assertThat(snmp.reason().message()).contains("not probed for v1/v2c write access")
        .contains("and udp/161").contains("no snmp version probe ran on it")
        .contains("the inventory cannot probe versions").contains("run the NEGuard scan");
    PortFinding nfs = e.findings().get(1);
    assertThat(nfs.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(nfs.reason().message()).contains("no nfs version probe ran on it");
    assertThat(e.requirement("HRD-1").orElseThrow().verdict()).isEqualTo(Verdict.INCONCLUSIVE);
  }

  @Test
  @DisplayName("HRD-5: a forbidden version never asked, or answered ambiguously: INCONCLUSIVE")
  void snmp_forbiddenVersionNotAskedOrUndecided_inconclusive() {
    PortFinding notAsked = only(scan(List.of(snmpPort(PortState.OPEN)),
        List.of(snmp("v2c", Result.SILENT), snmp("v3", Result.SERVED))));
    assertThat(notAsked.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(notAsked.reason().message()).contains("snmp v1 was not probed");
    PortFinding undecided = only(scan(List.of(snmpPort(PortState.OPEN)),
        List.of(snmp("v1", Result.UNDECIDED), snmp("v2c", Result.SILENT), snmp("v3", Result.SERVED))));
    assertThat(undecided.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(undecided.reason().message()).contains("snmp v1 on udp/161").contains("undecided");
  }

  @Test
  @DisplayName("HRD-1/HRD-5: a v1 read-only community (write unknown to the write probe) is still a"
      + " conclusive PROTOCOL_VERSION failure")
  void snmp_v1ReadWriteUnknown_versionFailureOutranksDoubt() {
    ObservedPort p = new ObservedPort(UDP, "192.0.2.7", 161, PortState.OPEN, "snmp", "answered",
        null, List.of(new SnmpAccess("v1", "public", SnmpAccess.Access.READ_WRITE_UNKNOWN,
            "noSuchName")));
    PortFinding f = only(scan(List.of(p), List.of(snmp("v1", Result.SERVED),
        snmp("v2c", Result.SILENT), snmp("v3", Result.SERVED))));
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.reason().code()).isEqualTo(ReasonCode.PROTOCOL_VERSION);
    assertThat(f.note()).contains("could not be tested for write access");
  }

  @Test
  @DisplayName("HRD-1/HRD-5: NFS v4 accepted, v2/v3 refused, no mountd: allowed")
  void nfs_v4Only_pass() {
    PortFinding f = only(scan(List.of(nfsPort()), nfsV4Only()));
    assertThat(f.status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(f.note()).contains("nfs v4 only confirmed");
  }

  @Test
  @DisplayName("HRD-1/HRD-5: NFSv3 accepted over UDP only is still PROTOCOL_VERSION")
  void nfs_v3OverUdp_protocolVersion() {
    List<ProtocolProbe> probes = nfsV4Only();
    probes.set(3, nfs(UDP, "v3", Result.SERVED));
    PortFinding f = only(scan(List.of(nfsPort()), probes));
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.reason().message()).contains("nfs v3 on udp/2049");
  }

  @Test
  @DisplayName("HRD-1/HRD-5: a mountd registered with rpcbind, or answering on its port, where"
      + " only NFSv4 is allowed: PROTOCOL_VERSION")
  void nfs_mountd_protocolVersion() {
    List<ProtocolProbe> registered = nfsV4Only();
    registered.set(4, mountd(111, "any", Result.SERVED));
    assertThat(only(scan(List.of(nfsPort()), registered)).reason().message())
        .contains("mountd any on tcp/111");
    List<ProtocolProbe> answering = nfsV4Only();
    answering.set(5, mountd(20048, "v3", Result.SERVED));
    PortFinding f = only(scan(List.of(nfsPort()), answering));
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.reason().message()).contains("mountd v3 on tcp/20048").contains("Protocols = 4");
  }

  @Test
  @DisplayName("HRD-5: rpcbind could not be asked about mountd (filtered), or was never asked:"
      + " INCONCLUSIVE")
  void nfs_mountdRegistrationUnknown_inconclusive() {
    List<ProtocolProbe> undecided = nfsV4Only();
    undecided.set(4, mountd(111, "any", Result.UNDECIDED));
    PortFinding f = only(scan(List.of(nfsPort()), undecided));
    assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(f.reason().message()).contains("mountd any on tcp/111");
    List<ProtocolProbe> notAsked = nfsV4Only();
    notAsked.remove(4);
    assertThat(only(scan(List.of(nfsPort()), notAsked)).reason().message())
        .contains("whether a mountd is registered was not asked");
  }

  @Test
  @DisplayName("HRD-5: NFSv4 accepted only over UDP, not on the declared tcp/2049: INCONCLUSIVE")
  void nfs_v4OnlyOverUdp_inconclusive() {
    List<ProtocolProbe> probes = nfsV4Only();
    probes.set(2, nfs(TCP, "v4", Result.SILENT));
    probes.add(nfs(UDP, "v4", Result.SERVED));
    PortFinding f = only(scan(List.of(nfsPort()), probes));
    assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(f.reason().message()).contains("no allowed version (v4) answered");
  }

  @Test
  @DisplayName("HRD-5: NFS v4 silent as well (nothing accepted): INCONCLUSIVE")
  void nfs_v4Silent_inconclusive() {
    List<ProtocolProbe> probes = nfsV4Only();
    probes.set(2, nfs(TCP, "v4", Result.SILENT));
    PortFinding f = only(scan(List.of(nfsPort()), probes));
    assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(f.reason().message()).contains("no allowed version (v4) answered");
  }

  @Test
  @DisplayName("HRD-6: an observation without protocolProbes (older agents and files) is read,"
      + " and an empty list is not written")
  void codec_protocolProbesOptional() throws Exception {
    Observation plain = Observations.scan().snmp(161).build();
    String json = new String(ObservationCodec.encode(plain), StandardCharsets.UTF_8);
    assertThat(json).doesNotContain("protocolProbes");
    assertThat(ObservationCodec.decode(json.getBytes(StandardCharsets.UTF_8)).protocolProbes())
        .isEmpty();
    Observation probed = scan(List.of(snmpPort(PortState.OPEN)), v1v2cSilentV3Served());
    Observation back = ObservationCodec.decode(ObservationCodec.encode(probed));
    assertThat(back).isEqualTo(probed);
    // Strict as the rest: a misspelt result is refused.
    String bad = new String(ObservationCodec.encode(probed), StandardCharsets.UTF_8)
        .replaceFirst("\"SILENT\"", "\"QUIET\"");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ObservationCodec.decode(
        bad.getBytes(StandardCharsets.UTF_8))).hasMessageContaining("QUIET");
  }

  @Test
  @DisplayName("HRD-6: harden diff shows a protocol version that became served (v2c re-enabled"
      + " after a reboot), and not a silence that became an ICMP refusal")
  void diff_versionServedAfterReboot_changed() {
    Observation before = scan(List.of(snmpPort(PortState.OPEN)), v1v2cSilentV3Served());
    Observation after = scan(List.of(snmpPort(PortState.OPEN)), List.of(snmp("v1", Result.SILENT),
        snmp("v2c", Result.SERVED), snmp("v3", Result.SERVED)));
    ObservationDiff d = ObservationDiff.of(before, after);
    assertThat(d.same()).isFalse();
    assertThat(d.changes()).singleElement().satisfies(c -> assertThat(c.what())
        .containsExactly("versions served snmp v3 -> snmp v2c, snmp v3"));
    Observation refused = scan(List.of(snmpPort(PortState.OPEN)), List.of(
        snmp("v1", Result.REFUSED), snmp("v2c", Result.SILENT), snmp("v3", Result.SERVED)));
    assertThat(ObservationDiff.of(before, refused).same()).isTrue();
  }

  /** A scan of the SNMP and NFS ports, run with or without service identification. */
  static Observation sweep(boolean identify) {
    Observation o = Observations.scan().param("serviceIdentification", Boolean.toString(identify))
        .build();
    ObservedPort nfs = new ObservedPort(TCP, "192.0.2.7", 2049, PortState.OPEN, null,
        "connected; service identification not requested", null, List.of());
    return new Observation(o.source(), o.host(), o.scanner(), o.tool(), o.started(), o.finished(),
        true, o.parameters(), List.of(snmpPort(PortState.OPEN_FILTERED), nfs), o.notes(), List.of());
  }

  @Test
  @DisplayName("HRD-1/HRD-5: a scan run with --no-identify asks no version: each version rule is"
      + " INCONCLUSIVE (SCAN_INCOMPLETE) naming the rule and saying to scan again without"
      + " --no-identify, never a pass")
  void versionRules_scanWithoutIdentification_inconclusiveNamingRule() {
    Evaluation e = Evaluator.evaluate(POLICY, sweep(false));
    assertThat(e.findings()).extracting(f -> f.key().toString())
        .containsExactly("udp/161", "tcp/2049");
    assertThat(e.findings()).allSatisfy(f -> {
      assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
      assertThat(f.rule()).isEqualTo("protocol-version");
      assertThat(f.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
      assertThat(f.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
      assertThat(f.reason().message()).contains("the scan ran with --no-identify")
          .contains("scan again without --no-identify");
    });
    assertThat(e.findings().get(0).reason().message()).contains("allowed as snmp v3 only");
    assertThat(e.findings().get(1).reason().message()).contains("allowed as nfs v4 only");
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.passed()).isFalse();
    // With identification on, no probe means the scan found no service: another doubt.
    assertThat(Evaluator.evaluate(POLICY, sweep(true)).findings())
        .allSatisfy(f -> assertThat(f.reason().message()).doesNotContain("--no-identify")
            .contains("the scan did not find the service"));
  }
}
