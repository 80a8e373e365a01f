package org.neguard.harden.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.harden.Transport.SCTP;
import static org.neguard.harden.Transport.TCP;
import static org.neguard.harden.Transport.UDP;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neguard.harden.Observation;
import org.neguard.harden.PortState;
import org.neguard.harden.SnmpAccess;
import org.neguard.harden.SnmpAccess.Access;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.ForbiddenRule;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/** The evaluation rules (HRD-1, HRD-2, HRD-3, HRD-4, HRD-5, HRD-6), one behaviour per test. */
class EvaluatorTest {
  static final String POLICY = """
      schema: neguard-hardening-policy/1
      neType: mme
      allowed:
        - {transport: tcp, port: 22, service: ssh, justification: OAM,
           reachableOn: [198.51.100.0/24, 127.0.0.1]}
        - {transport: sctp, port: 36412, service: s1ap, justification: S1-MME}
        - {transport: udp, port: 161, service: snmp, justification: SNMPv3 monitoring}
        - {transport: tcp, port: 3868, service: diameter, justification: S6a}
      forbidden:
        - {transport: tcp, port: 512, service: rexec, reason: clear-text passwords}
      """;

  static Policy policy(String yaml) throws Exception {
    return PolicyParser.parse(yaml.getBytes(StandardCharsets.UTF_8), "p.yaml");
  }

  static Evaluation eval(Observations o) throws Exception {
    return Evaluator.evaluate(policy(POLICY), o.build());
  }

  static Verdict req(Evaluation e, String id) {
    return e.requirement(id).orElseThrow().verdict();
  }

  @Test
  @DisplayName("HRD-1, HRD-2: declared ports on allowed addresses pass; stale ones are reported")
  void evaluate_onlyDeclaredPortsOpen_passes() throws Exception {
    Evaluation e = eval(Observations.inventory()
        .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh")
        .open(TCP, 3868, "diameter")
        .port(TCP, "198.51.100.7", 80, PortState.CLOSED, null));
    assertThat(e.verdict()).isEqualTo(Verdict.PASS);
    assertThat(e.passed()).isTrue();
    assertThat(e.reasons()).isEmpty();
    assertThat(e.findings()).extracting(PortFinding::status)
        .containsExactly(PortStatus.ALLOWED, PortStatus.ALLOWED, PortStatus.CLOSED);
    assertThat(e.stale()).extracting(s -> s.entry().key().toString())
        .containsExactly("sctp/36412", "udp/161");
    assertThat(e.stale()).allSatisfy(s -> assertThat(s.note()).isEqualTo("not listening"));
    assertThat(req(e, "HRD-2")).isEqualTo(Verdict.PASS);
    assertThat(req(e, "HRD-3")).isEqualTo(Verdict.NOT_TESTED);
    assertThat(req(e, "HRD-6")).isEqualTo(Verdict.PASS);
  }

  static Stream<Arguments> baselinePorts() {
    return Baseline.rules().stream()
        .filter(r -> r.kind() == ForbiddenRule.Kind.PORT)
        .flatMap(r -> r.ports().stream().map(k -> Arguments.of(r.id(), k)));
  }

  @ParameterizedTest(name = "{1} -> {0}")
  @MethodSource("baselinePorts")
  @DisplayName("HRD-5: every baseline port open is FORBIDDEN_SERVICE with its rule")
  void evaluate_baselinePortOpen_forbiddenWithRule(
      String rule, org.neguard.harden.policy.PortKey key) throws Exception {
    Evaluation e = eval(Observations.inventory().open(key.transport(), key.port(), null));
    PortFinding f = e.findings().get(0);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.rule()).isEqualTo(rule);
    assertThat(f.reason().code()).isEqualTo(ReasonCode.FORBIDDEN_SERVICE);
    assertThat(f.reason().message()).contains("rule '" + rule + "'", "HRD-5", key.toString());
    assertThat(e.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(req(e, "HRD-5")).isEqualTo(Verdict.FAIL);
    assertThat(req(e, "HRD-1")).isEqualTo(Verdict.FAIL);
    assertThat(req(e, "HRD-4")).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-5: a forbidden service identified on another port is forbidden by name")
  void evaluate_telnetOnOtherPort_forbiddenByName() throws Exception {
    Evaluation e = eval(Observations.scan().open(TCP, 2323, "telnet"));
    assertThat(e.findings().get(0).status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(e.findings().get(0).rule()).isEqualTo("telnet");
    assertThat(e.reasons().get(0).message()).contains("identified as 'telnet'");
  }

  @Test
  @DisplayName("HRD-5: UDP 514 (syslog) is not rsh: undeclared, not forbidden")
  void evaluate_udp514_undeclaredNotForbidden() throws Exception {
    Evaluation e = eval(Observations.inventory().open(UDP, 514, "syslog"));
    assertThat(e.findings().get(0).status()).isEqualTo(PortStatus.UNDECLARED);
    assertThat(req(e, "HRD-5")).isEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("HRD-5: an operator extension forbids its port")
  void evaluate_operatorExtension_forbidden() throws Exception {
    Evaluation e = eval(Observations.inventory().open(TCP, 512, null));
    PortFinding f = e.findings().get(0);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.reason().message()).contains("operator policy: clear-text passwords");
  }

  @Test
  @DisplayName("HRD-1, HRD-4: an open undeclared port is UNDECLARED_SERVICE naming the program")
  void evaluate_undeclaredPort_undeclaredService() throws Exception {
    Evaluation e = eval(Observations.inventory()
        .process(TCP, 8080, "http", "/usr/bin/python3", "www-data"));
    Reason r = e.reasons().get(0);
    assertThat(r.code()).isEqualTo(ReasonCode.UNDECLARED_SERVICE);
    assertThat(r.subject()).isEqualTo("tcp/8080");
    assertThat(r.message()).contains("/usr/bin/python3", "www-data", "remove the service",
        "declare it");
    assertThat(req(e, "HRD-1")).isEqualTo(Verdict.FAIL);
    assertThat(req(e, "HRD-4")).isEqualTo(Verdict.FAIL);
    assertThat(req(e, "HRD-5")).isEqualTo(Verdict.PASS);
    assertThat(req(e, "HRD-6")).isEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("TS 33.117 §4.3.2.2: a declared port open on a wrong or wildcard address fails")
  void evaluate_declaredOnWrongAddress_wrongInterface() throws Exception {
    Evaluation e = eval(Observations.inventory()
        .port(TCP, "0.0.0.0", 22, PortState.OPEN, "ssh")
        .port(TCP, "203.0.113.9", 22, PortState.OPEN, "ssh")
        .port(TCP, "127.0.0.1", 22, PortState.OPEN, "ssh"));
    assertThat(e.findings()).extracting(PortFinding::status).containsExactly(
        PortStatus.WRONG_INTERFACE, PortStatus.WRONG_INTERFACE, PortStatus.ALLOWED);
    assertThat(e.reasons()).allSatisfy(r -> assertThat(r.code())
        .isEqualTo(ReasonCode.WRONG_INTERFACE));
    assertThat(e.reasons().get(0).message()).contains("every interface", "198.51.100.0/24");
    assertThat(e.verdict()).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-1/HRD-4 (TS 33.117 §4.3.2.2): a policy may name interfaces; judged with the"
      + " addresses the observation records, inconclusive where it records none")
  void evaluate_reachableOnInterfaceName_resolvedFromObservation() throws Exception {
    Policy p = policy("""
        schema: neguard-hardening-policy/1
        neType: mme
        allowed:
          - {transport: tcp, port: 22, service: ssh, justification: OAM, reachableOn: [oam0]}
        """);
    Observations base = Observations.inventory()
        .param(Observation.INTERFACE_PARAMETER + "oam0", "198.51.100.7,fe80::1")
        .param(Observation.INTERFACE_PARAMETER + "s1", "192.0.2.10")
        .param(Observation.INTERFACES_RECORDED, "all");
    Evaluation ok = Evaluator.evaluate(p, base.port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh")
        .build());
    assertThat(ok.findings()).extracting(PortFinding::status).containsExactly(PortStatus.ALLOWED);
    Evaluation wrong = Evaluator.evaluate(p, Observations.inventory()
        .param(Observation.INTERFACE_PARAMETER + "oam0", "198.51.100.7")
        .param(Observation.INTERFACES_RECORDED, "all")
        .port(TCP, "192.0.2.10", 22, PortState.OPEN, "ssh").build());
    assertThat(wrong.findings()).extracting(PortFinding::status)
        .containsExactly(PortStatus.WRONG_INTERFACE);
    assertThat(wrong.reasons().get(0).message()).contains("oam0");
    // A remote scan records no interfaces: it cannot tell, so it does not pass.
    Evaluation unknown = Evaluator.evaluate(p, Observations.scan()
        .port(TCP, "192.0.2.10", 22, PortState.OPEN, "ssh").build());
    assertThat(unknown.findings()).extracting(PortFinding::status)
        .containsExactly(PortStatus.INCONCLUSIVE);
    assertThat(unknown.passed()).isFalse();
  }

  @Test
  @DisplayName("HRD-5: filtered or open|filtered forbidden ports are inconclusive, never closed")
  void evaluate_forbiddenPortFiltered_inconclusiveNeverPass() throws Exception {
    Evaluation e = eval(Observations.scan()
        .port(UDP, "192.0.2.1", 69, PortState.OPEN_FILTERED, null)
        .port(TCP, "192.0.2.1", 23, PortState.FILTERED, null));
    assertThat(e.findings()).extracting(PortFinding::status)
        .containsOnly(PortStatus.INCONCLUSIVE);
    assertThat(e.findings()).extracting(PortFinding::rule).containsExactly("tftp", "telnet");
    assertThat(e.reasons()).extracting(Reason::code).containsOnly(ReasonCode.SCAN_INCOMPLETE);
    assertThat(req(e, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(req(e, "HRD-6")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.passed()).isFalse();
  }

  @Test
  @DisplayName("HRD-4: a not-checked undeclared port is inconclusive; a declared one decides nothing")
  void evaluate_notChecked_undeclaredInconclusiveDeclaredNeutral() throws Exception {
    Evaluation declared = eval(Observations.scan()
        .port(SCTP, "192.0.2.1", 36412, PortState.NOT_CHECKED, null)
        .port(TCP, "192.0.2.1", 3868, PortState.OPEN, null));
    assertThat(declared.verdict()).isEqualTo(Verdict.PASS);
    assertThat(declared.findings().get(0).note()).contains("not confirmed open");
    assertThat(declared.stale()).extracting(StaleEntry::note)
        .contains("not confirmed: not checked (no reply)");

    Evaluation undeclared = eval(Observations.scan()
        .port(SCTP, "192.0.2.1", 9999, PortState.NOT_CHECKED, null));
    assertThat(req(undeclared, "HRD-4")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(undeclared.passed()).isFalse();

    // One port undecided and another conclusively failing: the procedure is still undecided.
    Evaluation mixed = eval(Observations.scan()
        .port(TCP, "192.0.2.1", 8080, PortState.OPEN, null)
        .port(UDP, "192.0.2.1", 69, PortState.NOT_CHECKED, null));
    assertThat(req(mixed, "HRD-4")).isEqualTo(Verdict.FAIL);
    assertThat(req(mixed, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(req(mixed, "HRD-6")).isEqualTo(Verdict.INCONCLUSIVE);
  }

  @Test
  @DisplayName("bad input: an incomplete observation never passes (SCAN_INCOMPLETE)")
  void evaluate_incompleteObservation_neverPasses() throws Exception {
    Evaluation e = eval(Observations.scan().incomplete("interrupted by the operator")
        .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh"));
    assertThat(e.passed()).isFalse();
    assertThat(e.verdict()).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
    assertThat(e.reasons().get(0).message()).contains("incomplete", "interrupted by the operator");
    for (String id : new String[] {"HRD-1", "HRD-2", "HRD-3", "HRD-4", "HRD-5", "HRD-6"}) {
      assertThat(req(e, id)).as(id).isEqualTo(Verdict.INCONCLUSIVE);
    }
    // And a forbidden port in an incomplete observation is still a FAIL.
    Evaluation worse = eval(Observations.scan().incomplete("x").open(TCP, 23, "telnet"));
    assertThat(worse.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(worse.reasons()).extracting(Reason::code)
        .containsExactly(ReasonCode.FORBIDDEN_SERVICE, ReasonCode.SCAN_INCOMPLETE);
  }

  @Test
  @DisplayName("HRD-5: SNMP v2c write access is forbidden even on a declared SNMP port")
  void evaluate_snmpWritable_forbidden() throws Exception {
    Evaluation e = eval(Observations.scan().snmp(161,
        new SnmpAccess("v2c", "public", Access.READ, "noAccess on SET"),
        new SnmpAccess("v2c", "s3cr3t-rw", Access.WRITE, "SET sysContact accepted")));
    PortFinding f = e.findings().get(0);
    assertThat(f.status()).isEqualTo(PortStatus.FORBIDDEN);
    assertThat(f.rule()).isEqualTo("snmp-write");
    assertThat(f.reason().message()).contains("a 9-character community", "SET sysContact")
        .doesNotContain("s3cr3t-rw");
    assertThat(req(e, "HRD-5")).isEqualTo(Verdict.FAIL);
  }

  @Test
  @DisplayName("HRD-5: SNMP read-only passes; unprobed or untestable SNMP is inconclusive")
  void evaluate_snmpReadOnlyOrUnprobed() throws Exception {
    Evaluation ro = eval(Observations.scan().snmp(161,
        new SnmpAccess("v2c", "public", Access.READ, "noAccess"),
        new SnmpAccess("v1", "private", Access.NONE, "timeout")));
    assertThat(ro.findings().get(0).status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(ro.verdict()).isEqualTo(Verdict.PASS);

    Evaluation unprobed = eval(Observations.scan().open(UDP, 161, "snmp"));
    assertThat(unprobed.findings().get(0).status()).isEqualTo(PortStatus.INCONCLUSIVE);
    assertThat(req(unprobed, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(unprobed.reasons().get(0).message()).contains("not probed");

    Evaluation unknown = eval(Observations.scan().snmp(161,
        new SnmpAccess("v2c", "public", Access.READ_WRITE_UNKNOWN, "every object pinned")));
    assertThat(req(unknown, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
  }

  @Test
  @DisplayName("HRD-5: a declared SNMP port that is open|filtered or unexamined and was never"
      + " write-probed cannot pass")
  void evaluate_snmpDeclaredNotConfirmedOpenUnprobed_inconclusive() throws Exception {
    for (PortState state : List.of(PortState.OPEN_FILTERED, PortState.FILTERED,
        PortState.NOT_CHECKED)) {
      Evaluation e = eval(Observations.scan().source("nmap-xml")
          .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh")
          .port(UDP, "198.51.100.7", 161, state, "snmp"));
      assertThat(e.verdict()).as(state.toString()).isNotEqualTo(Verdict.PASS);
      assertThat(req(e, "HRD-5")).as(state.toString()).isEqualTo(Verdict.INCONCLUSIVE);
      assertThat(e.findings()).filteredOn(f -> f.key().toString().equals("udp/161"))
          .singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo("snmp-write");
            assertThat(f.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
            assertThat(f.reason().message()).contains("not probed");
          });
    }
  }

  @Test
  @DisplayName("HRD-5: a waiver lifts its rule for its port only, and the finding shows why")
  void evaluate_waiver_liftsRuleWithNote() throws Exception {
    Policy p = policy("""
        schema: neguard-hardening-policy/1
        neType: lab
        allowed:
          - {transport: tcp, port: 23, service: console, justification: lab console}
        waivers:
          - {rule: telnet, transport: tcp, port: 23, reason: isolated lab network, reference: RISK-7}
        """);
    Observation o = Observations.inventory().open(TCP, 23, "telnet").open(TCP, 107, null).build();
    Evaluation e = Evaluator.evaluate(p, o);
    assertThat(e.findings().get(0).status()).isEqualTo(PortStatus.ALLOWED);
    assertThat(e.findings().get(0).note()).contains("waived: isolated lab network (RISK-7)");
    assertThat(e.findings().get(1).status()).isEqualTo(PortStatus.FORBIDDEN);
  }

  @Test
  @DisplayName("HRD-3: a complete nmap import passes HRD-3's port half, which alone is no PASS"
      + " (the vulnerability half: VulnerabilityEvaluationTest); an inventory does not test it")
  void evaluate_hrd3DependsOnSource() throws Exception {
    Evaluation nmap = eval(Observations.scan().source("nmap-xml")
        .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh"));
    assertThat(Evaluator.portScanVerdict(nmap.observation())).isEqualTo(Verdict.PASS);
    assertThat(req(nmap, "HRD-3")).isEqualTo(Verdict.NOT_TESTED);
    assertThat(nmap.requirement("HRD-3").orElseThrow().actual()).contains("NEGuard test");
    Evaluation inv = eval(Observations.inventory());
    assertThat(req(inv, "HRD-3")).isEqualTo(Verdict.NOT_TESTED);
  }

  @Test
  @DisplayName("HRD-5: a scan that left forbidden ports out of its ranges cannot pass")
  void evaluate_scanRangesMissBaseline_notCheckedInconclusive() throws Exception {
    Evaluation narrow = eval(Observations.scan().param("address", "192.0.2.1")
        .param("tcpPorts", "1-100").param("udpPorts", "161")
        .port(TCP, "192.0.2.1", 22, PortState.OPEN, "ssh"));
    assertThat(narrow.findings()).filteredOn(f -> f.port().state() == PortState.NOT_CHECKED)
        .extracting(f -> f.key().toString())
        .contains("tcp/445", "tcp/2049", "udp/69", "udp/7", "sctp/36412", "tcp/3868")
        .doesNotContain("tcp/23", "udp/161");
    assertThat(narrow.findings()).filteredOn(f -> f.key().toString().equals("tcp/445"))
        .singleElement().satisfies(f -> {
          assertThat(f.rule()).isEqualTo("port-445");
          assertThat(f.port().evidence()).contains("outside the scan's tcpPorts (1-100)");
          assertThat(f.port().address()).isEqualTo("192.0.2.1");
        });
    assertThat(req(narrow, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(narrow.passed()).isFalse();

    Evaluation full = eval(Observations.scan().param("tcpPorts", "1-65535")
        .param("udpPorts", "7,37,69,161,445,1025,2049").param("sctpPorts", "36412")
        .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh")
        .snmp(161, new SnmpAccess("v2c", "public", Access.NONE, "no answer")));
    assertThat(full.verdict()).as(full.reasons().toString()).isEqualTo(Verdict.PASS);

    Evaluation garbled = eval(Observations.scan().param("tcpPorts", "all of them")
        .port(TCP, "198.51.100.7", 22, PortState.OPEN, "ssh"));
    assertThat(garbled.findings()).anySatisfy(f -> assertThat(f.key().toString())
        .isEqualTo("tcp/23"));
    assertThat(garbled.passed()).isFalse();
  }

  @Test
  @DisplayName("HRD-5: declared ports a scan with --no-identify found open (or, UDP, open|filtered)"
      + " without a service name are INCONCLUSIVE, naming the rules that match by name; the same"
      + " scan with identification passes")
  void evaluate_declaredPortsSweptWithoutIdentification_inconclusiveNamingRules()
      throws Exception {
    Policy p = policy("""
        schema: neguard-hardening-policy/1
        neType: gw
        allowed:
          - {transport: tcp, port: 22, service: ssh, justification: OAM}
          - {transport: udp, port: 5000, service: app, justification: telemetry}
          - {transport: sctp, port: 36412, service: s1ap, justification: S1-MME}
        """);
    Evaluation swept = Evaluator.evaluate(p, Observations.scan()
        .param("serviceIdentification", "false")
        .port(TCP, "192.0.2.1", 22, PortState.OPEN, null)
        .port(UDP, "192.0.2.1", 5000, PortState.OPEN_FILTERED, null)
        .port(SCTP, "192.0.2.1", 36412, PortState.OPEN, null).build());
    // SCTP is never named, identification or not: nothing was skipped there.
    assertThat(swept.findings()).filteredOn(f -> f.key().toString().equals("sctp/36412"))
        .singleElement().extracting(PortFinding::status).isEqualTo(PortStatus.ALLOWED);
    assertThat(swept.findings()).filteredOn(f -> f.port().transport() != SCTP).hasSize(2)
        .allSatisfy(f -> {
          assertThat(f.status()).isEqualTo(PortStatus.INCONCLUSIVE);
          assertThat(f.requirements()).containsExactlyInAnyOrder("HRD-1", "HRD-5");
          assertThat(f.reason().code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
          assertThat(f.reason().message()).contains("--no-identify").contains("portmapper DUMP")
              .contains("telnet").contains("nfs").contains("scan again without --no-identify");
        });
    assertThat(req(swept, "HRD-5")).isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(swept.passed()).isFalse();

    Evaluation identified = Evaluator.evaluate(p, Observations.scan()
        .param("serviceIdentification", "true")
        .port(TCP, "192.0.2.1", 22, PortState.OPEN, null)
        .port(UDP, "192.0.2.1", 5000, PortState.OPEN_FILTERED, null).build());
    assertThat(identified.verdict()).as(identified.reasons().toString()).isEqualTo(Verdict.PASS);
  }
}
