package org.neguard.harden.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.harden.policy.PolicyParserTest.assertInvalidAt;
import static org.neguard.harden.policy.PolicyParserTest.parse;
import static org.neguard.harden.policy.PortKey.tcp;
import static org.neguard.harden.policy.PortKey.udp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * HRD-1/HRD-5: {@code protocol: {versions: [...]}} on an allowed entry (seed 003: "forbidding
 * early versions" of SNMP and NFS). Parsed strictly: every bad input is POLICY_INVALID at its
 * line and column, saying what to write instead.
 */
class ProtocolRuleParserTest {
  private static final String HEAD = "schema: neguard-hardening-policy/1\nneType: mme\n";
  /** An SNMP entry; its protocol mapping starts on line 8. */
  private static final String SNMP = HEAD + "allowed:\n  - transport: udp\n    port: 161\n"
      + "    service: snmp\n    justification: SNMPv3 monitoring\n";
  private static final String NFS_WAIVER = "waivers:\n  - rule: nfs\n    transport: tcp\n"
      + "    port: 2049\n    reason: NFSv4 only\n";

  @Test
  @DisplayName("HRD-1/HRD-5: snmp versions [v3] and nfs versions [v4] are read; the versions to"
      + " refuse are the others")
  void parse_snmpV3NfsV4_rulesRead() throws Exception {
    Policy p = parse(SNMP + "    protocol:\n      versions: [v3]\n"
        + "  - transport: tcp\n    port: 2049\n    service: nfs\n    justification: traces\n"
        + "    protocol: {versions: [v4]}\n" + NFS_WAIVER);
    ProtocolRule snmp = p.allowed(udp(161)).orElseThrow().protocol();
    assertThat(snmp.protocol()).isEqualTo("snmp");
    assertThat(snmp.versions()).containsExactly("v3");
    assertThat(snmp.forbiddenVersions()).containsExactly("v1", "v2c");
    assertThat(snmp.describe()).isEqualTo("snmp v3 only");
    ProtocolRule nfs = p.allowed(tcp(2049)).orElseThrow().protocol();
    assertThat(nfs.forbiddenVersions()).containsExactly("v2", "v3");
  }

  @Test
  @DisplayName("HRD-1/HRD-5: the shipped OAM gateway policy allows SNMP v3 only and NFS v4 only")
  void parse_oamGatewayExample_versionRules() throws Exception {
    Policy p = PolicyParser.parse(PolicyParserTest.EXAMPLES.resolve("oam-gateway.yaml"));
    assertThat(p.allowed(udp(161)).orElseThrow().protocol().describe()).isEqualTo("snmp v3 only");
    assertThat(p.allowed(tcp(2049)).orElseThrow().protocol().describe()).isEqualTo("nfs v4 only");
    assertThat(p.allowed(tcp(22)).orElseThrow().protocol()).isNull();
  }

  @Test
  @DisplayName("HRD-1: versions are kept in the protocol's order; an entry without 'protocol' has"
      + " no rule")
  void parse_versionsOutOfOrder_sorted() throws Exception {
    Policy p = parse(HEAD + "allowed:\n  - transport: tcp\n    port: 2049\n    service: NFS\n"
        + "    justification: traces\n    protocol: {versions: [v4, v3]}\n"
        + "  - {transport: tcp, port: 22, service: ssh, justification: OAM}\n" + NFS_WAIVER);
    assertThat(p.allowed(tcp(2049)).orElseThrow().protocol().versions()).containsExactly("v3", "v4");
    assertThat(p.allowed(tcp(2049)).orElseThrow().protocol().forbiddenVersions())
        .containsExactly("v2");
    assertThat(p.allowed(tcp(22)).orElseThrow().protocol()).isNull();
  }

  @Test
  @DisplayName("HRD-5: a version rule does not lift the baseline: nfs on tcp/2049 still needs its"
      + " reasoned waiver")
  void parse_nfsV4WithoutWaiver_stillForbidden() {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: 2049\n    service: nfs\n"
        + "    justification: traces\n    protocol: {versions: [v4]}\n", 4, 5,
        "forbidden by baseline rule 'nfs'", "add a waiver");
  }

  @Test
  @DisplayName("HRD-1: 'protocol' on a service whose versions the scan cannot probe is refused")
  void parse_protocolOnSsh_refused() {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: 22\n    service: ssh\n"
        + "    justification: OAM\n    protocol: {versions: [v2]}\n", 8, 5,
        "'protocol' on tcp/22 (ssh)", "only for the services the scan probes, [nfs, snmp]");
  }

  @Test
  @DisplayName("HRD-1: a version unknown for the service is refused, naming the known ones")
  void parse_unknownVersion_refused() {
    assertInvalidAt(SNMP + "    protocol:\n      versions: [v3, v4]\n", 9, 22,
        "unknown snmp version 'v4': one of [v1, v2c, v3]");
    assertInvalidAt(SNMP + "    protocol:\n      versions: [V3]\n", 9, 18,
        "unknown snmp version 'V3'");
    assertInvalidAt(SNMP + "    protocol:\n      versions: [3]\n", 9, 18,
        "unknown snmp version '3'");
  }

  @Test
  @DisplayName("HRD-1: a typo in the protocol mapping is refused, never ignored")
  void parse_unknownKeyInProtocol_refused() {
    assertInvalidAt(SNMP + "    protocol:\n      version: [v3]\n", 9, 7,
        "unknown key 'version' in protocol of udp/161", "[versions]");
  }

  @Test
  @DisplayName("HRD-1: versions missing, empty, not a list, listed twice, or all of them: refused")
  void parse_badVersionsList_refused() {
    assertInvalidAt(SNMP + "    protocol: {}\n", 8, 15, "missing 'versions' in protocol of udp/161");
    assertInvalidAt(SNMP + "    protocol:\n      versions: []\n", 9, 17, "'versions' is empty");
    assertInvalidAt(SNMP + "    protocol:\n      versions: v3\n", 9, 17,
        "'versions' must be a list such as [v3], not text 'v3'");
    assertInvalidAt(SNMP + "    protocol:\n      versions: [v3, v3]\n", 9, 22,
        "versions lists 'v3' twice");
    assertInvalidAt(SNMP + "    protocol:\n      versions: [v1, v2c, v3]\n", 9, 17,
        "allows every snmp version and restricts nothing");
    assertInvalidAt(SNMP + "    protocol: v3\n", 8, 15,
        "'protocol' must be a mapping (key: value), not text 'v3'");
  }

  @Test
  @DisplayName("HRD-1: a version rule on a transport the probe does not use is refused (SNMP is"
      + " probed over UDP and TCP, NFSv4 runs over TCP only)")
  void parse_wrongTransport_refused() {
    assertInvalidAt(HEAD + "allowed:\n  - transport: sctp\n    port: 161\n    service: snmp\n"
        + "    justification: SNMP over SCTP\n    protocol: {versions: [v3]}\n", 8, 5,
        "the SNMP version probe runs over UDP (RFC 3417) and TCP (RFC 3430)",
        "declare the versions on the tcp or udp entry");
    assertInvalidAt(HEAD + "allowed:\n  - transport: udp\n    port: 2049\n    service: nfs\n"
        + "    justification: traces\n    protocol: {versions: [v4]}\n"
        + "waivers:\n  - rule: nfs\n    transport: udp\n    port: 2049\n    reason: legacy\n", 8, 5,
        "NFSv4 runs over TCP only", "on the tcp entry");
  }

  @Test
  @DisplayName("HRD-3: SNMP v3 only on a tcp entry (RFC 3430, net-snmp's agentaddress tcp:161) is"
      + " a version rule like the udp one")
  void parse_snmpOverTcp_accepted() throws Exception {
    Policy p = PolicyParser.parse((HEAD + "allowed:\n  - transport: tcp\n    port: 161\n"
        + "    service: snmp\n    justification: SNMPv3 over TCP\n"
        + "    protocol: {versions: [v3]}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "p.yaml");
    assertThat(p.allowed()).singleElement().satisfies(a -> {
      assertThat(a.key()).hasToString("tcp/161");
      assertThat(a.protocol().forbiddenVersions()).containsExactly("v1", "v2c");
    });
  }
}
