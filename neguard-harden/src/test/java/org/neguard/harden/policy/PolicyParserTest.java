package org.neguard.harden.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.harden.policy.PortKey.tcp;
import static org.neguard.harden.policy.PortKey.udp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.neguard.harden.Transport;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The policy schema (HRD-2: the declared list; HRD-5: the forbidden baseline, operator
 * extensions, reasoned waivers). Every bad-input row of issue 5 that concerns a policy is refused
 * with POLICY_INVALID naming its line and column.
 */
class PolicyParserTest {
  static final Path EXAMPLES = Path.of("..", "examples", "policies");

  private static final String HEAD = "schema: neguard-hardening-policy/1\nneType: mme\n";

  static Policy parse(String yaml) throws RefusalException {
    return PolicyParser.parse(yaml.getBytes(StandardCharsets.UTF_8), "test.yaml");
  }

  static void assertInvalidAt(String yaml, int line, int column, String... fragments) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.POLICY_INVALID);
          String msg = e.reasons().get(0).message();
          assertThat(msg).startsWith("test.yaml: line " + line + ", column " + column + ": ");
          assertThat(msg).contains(fragments);
          assertThat(e.reasons().get(0).subject()).isEqualTo("test.yaml");
        });
  }

  @Test
  @DisplayName("HRD-2: the shipped MME policy declares S1-MME, SGs, S11, S6a, SSH and SNMP")
  void parse_mmeExample_declaresItsInterfaces() throws Exception {
    Policy p = PolicyParser.parse(EXAMPLES.resolve("mme.yaml"));
    assertThat(p.neType()).isEqualTo("mme");
    assertThat(p.allowed()).extracting(AllowedPort::key).containsExactly(
        PortKey.of(Transport.SCTP, 36412), PortKey.of(Transport.SCTP, 29118), udp(2123),
        PortKey.of(Transport.SCTP, 3868), tcp(3868), tcp(22), udp(161));
    assertThat(p.allowed()).allSatisfy(a -> assertThat(a.justification()).isNotBlank());
    assertThat(p.extensions()).extracting(r -> r.ports().get(0)).contains(tcp(512), udp(111));
    assertThat(p.waivers()).isEmpty();
    assertThat(p.sha256()).hasSize(64);
    assertThat(p.allowed(tcp(22)).orElseThrow().reachableOn().get(0).contains("198.51.100.7"))
        .isTrue();
  }

  @Test
  void parse_henbExample_isValid() throws Exception {
    Policy p = PolicyParser.parse(EXAMPLES.resolve("henb.yaml"));
    assertThat(p.neType()).isEqualTo("henb");
    assertThat(p.allowed()).extracting(AllowedPort::key).contains(udp(500), tcp(7547));
  }

  @Test
  @DisplayName("HRD-5: the baseline is exactly seed 003 R5, on the documented transports")
  void baseline_isExactlyTheSeedList() {
    Set<String> ports = Baseline.ports().stream().map(PortKey::toString)
        .collect(Collectors.toSet());
    assertThat(ports).containsExactlyInAnyOrder(
        "tcp/1025", "udp/1025", "tcp/2049", "udp/2049", // NFS
        "tcp/20", "tcp/21", "udp/69", // FTP, TFTP
        "udp/161", "tcp/161", // SNMPv1/v2c with write: ports that must be probed
        "tcp/23", "tcp/107", // Telnet, remote telnet
        "tcp/513", "tcp/514", // rlogin, rsh, remsh
        "tcp/445", "udp/445", "tcp/79", "tcp/37", "udp/37", "tcp/7", "udp/7");
    assertThat(Baseline.rules()).extracting(ForbiddenRule::id).containsExactly(
        "nfs", "ftp", "tftp", "snmp-write", "telnet", "rlogin-rsh", "port-445", "finger", "time",
        "echo");
    assertThat(Baseline.rule("snmp-write").orElseThrow().kind())
        .isEqualTo(ForbiddenRule.Kind.SNMP_WRITE);
    assertThat(Baseline.rules()).allSatisfy(r -> assertThat(r.why()).isNotBlank());
  }

  @Test
  @DisplayName("bad input: a policy with a YAML syntax error is refused with line and column")
  void parse_syntaxError_policyInvalidWithLineAndColumn() {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: [22\n", 5, 14,
        "YAML syntax error");
    assertThatThrownBy(() -> parse(HEAD + "allowed: [\n  {transport: tcp, port: 22\n"))
        .hasMessageContaining("line ").hasMessageContaining("YAML syntax error");
  }

  @Test
  @DisplayName("bad input: an unknown key is refused with line and column")
  void parse_unknownKey_policyInvalidWithLineAndColumn() {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: 22\n    service: ssh\n"
        + "    justification: OAM\n    interface: eth0\n", 8, 5, "unknown key 'interface'");
    assertInvalidAt(HEAD + "alowed: []\n", 3, 1, "unknown key 'alowed'");
  }

  @ParameterizedTest
  @CsvSource({"0", "65536", "70000", "-1", "99999999999999999999"})
  @DisplayName("bad input: a port out of range is refused with line and column")
  void parse_portOutOfRange_policyInvalidWithLineAndColumn(String port) {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: " + port
        + "\n    service: ssh\n    justification: OAM\n", 5, 11, "port out of range 1..65535");
  }

  @ParameterizedTest
  @CsvSource({"023", "0_23", "2_2", "0x17", "+22"})
  @DisplayName("bad input: a port other YAML tools read in another base is refused (HRD-1)")
  void parse_portNotPlainDecimal_refused(String port) {
    assertInvalidAt(HEAD + "allowed:\n  - transport: tcp\n    port: " + port
        + "\n    service: ssh\n    justification: OAM\n", 5, 11, "plain decimal number");
  }

  @Test
  void parse_portAsTextOrFraction_refused() {
    assertInvalidAt(HEAD + "allowed:\n  - {transport: tcp, port: '22', service: ssh,"
        + " justification: x}\n", 4, 28, "port must be a whole number", "text '22'");
    assertInvalidAt(HEAD + "allowed:\n  - {transport: tcp, port: 22.5, service: ssh,"
        + " justification: x}\n", 4, 28, "port must be a whole number");
  }

  @Test
  @DisplayName("bad input: a duplicate entry is refused with line and column")
  void parse_duplicateEntry_policyInvalidWithLineAndColumn() {
    assertInvalidAt(HEAD + "allowed:\n"
        + "  - {transport: tcp, port: 22, service: ssh, justification: OAM}\n"
        + "  - {transport: tcp, port: 22, service: ssh2, justification: other}\n", 5, 5,
        "duplicate allowed entry tcp/22", "first at line 4, column 5");
    assertInvalidAt(HEAD + "allowed: []\nforbidden:\n"
        + "  - {transport: tcp, port: 512, service: rexec, reason: x}\n"
        + "  - {transport: tcp, port: 512, service: rexec, reason: y}\n", 6, 5,
        "duplicate forbidden entry tcp/512");
    assertInvalidAt(HEAD + "allowed: []\nwaivers:\n  - {rule: telnet, reason: a}\n"
        + "  - {rule: telnet, reason: b}\n", 6, 5, "duplicate waiver of telnet");
    assertInvalidAt(HEAD + "neType: henb\nallowed: []\n", 3, 1, "duplicate key 'neType'");
  }

  @Test
  @DisplayName("bad input (HRD-5): a waiver without a reason is refused with line and column")
  void parse_waiverWithoutReason_policyInvalidWithLineAndColumn() {
    assertInvalidAt(HEAD + "allowed: []\nwaivers:\n  - rule: telnet\n    port: 23\n"
        + "    transport: tcp\n", 5, 5, "waiver of 'telnet' has no reason", "HRD-5");
    assertInvalidAt(HEAD + "allowed: []\nwaivers:\n  - rule: telnet\n    reason: '   '\n", 6, 13,
        "blank reason");
  }

  @Test
  @DisplayName("HRD-5: declaring a forbidden port needs a waiver; with one it is accepted")
  void parse_declaredForbiddenPort_needsWaiver() throws Exception {
    String declared = "allowed:\n"
        + "  - {transport: tcp, port: 23, service: telnet-console, justification: lab}\n";
    assertInvalidAt(HEAD + declared, 4, 5, "declared tcp/23", "baseline rule 'telnet'",
        "add a waiver");
    Policy p = parse(HEAD + declared
        + "waivers:\n  - {rule: telnet, transport: tcp, port: 23, reason: lab console only}\n");
    assertThat(p.waivers()).singleElement().satisfies(w -> {
      assertThat(w.scope()).isEqualTo("telnet tcp/23");
      assertThat(w.reason()).isEqualTo("lab console only");
    });
    // A waiver of one port does not lift the rule's other port.
    assertInvalidAt(HEAD + "allowed:\n"
        + "  - {transport: tcp, port: 107, service: rtel, justification: lab}\n"
        + "waivers:\n  - {rule: telnet, transport: tcp, port: 23, reason: lab}\n", 4, 5,
        "declared tcp/107");
  }

  @Test
  void parse_declaredForbiddenServiceName_refused() {
    assertInvalidAt(HEAD + "allowed:\n"
        + "  - {transport: tcp, port: 2323, service: telnet, justification: x}\n", 4, 5,
        "baseline rule 'telnet'");
  }

  @Test
  void parse_declaredPortInOperatorExtension_refused() {
    assertInvalidAt(HEAD + "allowed:\n"
        + "  - {transport: tcp, port: 512, service: rexec, justification: x}\n"
        + "forbidden:\n  - {transport: tcp, port: 512, service: rexec, reason: clear text}\n",
        4, 5, "operator rule", "from 'forbidden'");
  }

  @Test
  void parse_waiverOfUnknownRuleOrPort_refused() {
    assertInvalidAt(HEAD + "allowed: []\nwaivers:\n  - {rule: ssh, reason: x}\n", 5, 12,
        "unknown rule 'ssh'");
    assertInvalidAt(HEAD + "allowed: []\nwaivers:\n"
        + "  - {rule: telnet, transport: udp, port: 23, reason: x}\n", 5, 42,
        "does not cover udp/23");
  }

  @Test
  void parse_extensionRepeatingBaseline_refused() {
    assertInvalidAt(HEAD + "allowed: []\nforbidden:\n"
        + "  - {transport: tcp, port: 23, service: telnet, reason: x}\n", 5, 5,
        "already forbidden by baseline rule 'telnet'");
  }

  @Test
  void parse_structuralProblems_refused() {
    assertInvalidAt("", 1, 1, "empty");
    assertInvalidAt("schema: other/1\nneType: mme\nallowed: []\n", 1, 9, "not supported");
    assertInvalidAt(HEAD, 1, 1, "no 'allowed' list");
    assertInvalidAt(HEAD + "allowed: {}\n", 3, 10, "must be a list");
    assertInvalidAt(HEAD + "allowed:\n  - {transport: icmp, port: 1, service: x,"
        + " justification: y}\n", 4, 17, "transport 'icmp'");
    assertInvalidAt(HEAD + "allowed:\n  - {transport: tcp, port: 22, service: ssh}\n", 4, 5,
        "missing 'justification'");
    assertInvalidAt(HEAD + "allowed:\n  - {transport: tcp, port: 22, service: ssh,"
        + " justification: x, reachableOn: [et/0]}\n", 4, 78, "interface name");
    assertInvalidAt(HEAD + "allowed:\n  - {transport: tcp, port: 22, service: ssh,"
        + " justification: x, reachableOn: [eth0, eth0]}\n", 4, 84, "twice");
    assertInvalidAt(HEAD + "allowed: []\n---\nneType: x\n", 5, 1, "second YAML document");
    assertInvalidAt(HEAD + "description: &d hello\nallowed:\n  - {transport: tcp, port: 22,"
        + " service: ssh, justification: *d}\n", 5, 61, "aliases");
  }

  @Test
  void parse_wildcardAndPrefixes_matchAddresses() throws Exception {
    Policy p = parse(HEAD + "allowed:\n  - {transport: tcp, port: 22, service: ssh,"
        + " justification: x, reachableOn: [10.0.0.0/8, '2001:db8::/32', 192.0.2.1]}\n");
    AllowedPort a = p.allowed().get(0);
    assertThat(a.reachableOn().get(0).contains("10.1.2.3")).isTrue();
    assertThat(a.reachableOn().get(0).contains("11.1.2.3")).isFalse();
    assertThat(a.reachableOn().get(1).contains("2001:db8::5")).isTrue();
    assertThat(a.reachableOn().get(2).contains("192.0.2.2")).isFalse();
    assertThat(a.reachableOn().get(0).contains("localhost")).isFalse();
    assertThat(AddressRange.isWildcard("0.0.0.0")).isTrue();
    assertThat(AddressRange.isWildcard("::")).isTrue();
    assertThat(AddressRange.isWildcard("10.0.0.1")).isFalse();
  }
}
