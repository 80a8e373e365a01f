package org.neguard.harden.nmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortFinding;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.harden.report.EvidenceWriter;
import org.neguard.testing.RequiredProgram;

/**
 * HRD-5 end to end with real daemons: inetd's echo, time, telnet, finger, rlogin and rsh in a
 * network namespace of the test's own, scanned by the real nmap, imported, judged, and written
 * as evidence. Every forbidden service is flagged with its rule; the declared one passes.
 */
class InetdServicesTest {
  @TempDir Path dir;

  /** The baseline's ports of one transport, for nmap's -p. */
  static String ports(Transport t) {
    return Baseline.ports().stream().filter(k -> k.transport() == t).map(k -> "" + k.port())
        .sorted().collect(Collectors.joining(","));
  }

  @Test
  @DisplayName("HRD-3, HRD-5, HRD-6: real insecure daemons found by nmap are each forbidden by their rule")
  void nmapOfInetd_everyForbiddenServiceFlaggedWithItsRule() throws Exception {
    String nmap = RequiredProgram.require("nmap").toString();
    Policy policy = PolicyParser.parse(("""
        schema: neguard-hardening-policy/1
        neType: lab
        allowed:
          - {transport: tcp, port: 13, service: daytime, justification: the declared service of this test}
        forbidden:
          - {transport: tcp, port: 9, service: discard, reason: legacy test service}
        """).getBytes(StandardCharsets.UTF_8), "lab.yaml");
    String ports = "T:9,13," + ports(Transport.TCP) + ",U:" + ports(Transport.UDP);
    Path xml = dir.resolve("inetd.xml");
    try (InetdNamespace ns = InetdNamespace.start(dir)) {
      ns.exec(nmap, "-sT", "-sU", "-Pn", "-n", "--max-retries", "2", "-p", ports, "-oX",
          xml.toString(), "127.0.0.1");
    }
    Observation o = NmapXmlImporter.read(xml, "127.0.0.1", Baseline.ports());
    Evaluation e = Evaluator.evaluate(policy, o);

    Map<String, String> forbidden = new TreeMap<>(e.findings(PortStatus.FORBIDDEN).stream()
        .collect(Collectors.toMap(f -> f.key().toString(), PortFinding::rule)));
    assertThat(forbidden).containsOnly(
        Map.entry("tcp/7", "echo"), Map.entry("udp/7", "echo"),
        Map.entry("tcp/37", "time"), Map.entry("udp/37", "time"),
        Map.entry("tcp/23", "telnet"), Map.entry("tcp/79", "finger"),
        Map.entry("tcp/513", "rlogin-rsh"), Map.entry("tcp/514", "rlogin-rsh"),
        Map.entry("tcp/9", "operator-tcp-9"));
    assertThat(e.findings(PortStatus.ALLOWED)).singleElement()
        .satisfies(f -> assertThat(f.key().toString()).isEqualTo("tcp/13"));
    assertThat(e.findings(PortStatus.UNDECLARED)).isEmpty();
    assertThat(e.findings(PortStatus.INCONCLUSIVE)).isEmpty();
    assertThat(e.verdict()).isEqualTo(Verdict.FAIL);
    assertThat(e.requirement("HRD-5").orElseThrow().verdict()).isEqualTo(Verdict.FAIL);
    // The nmap scan is HRD-3's port half; without a vulnerability assessment HRD-3 is not tested.
    assertThat(Evaluator.portScanVerdict(e.observation())).isEqualTo(Verdict.PASS);
    assertThat(e.requirement("HRD-3").orElseThrow().verdict()).isEqualTo(Verdict.NOT_TESTED);
    assertThat(e.requirement("HRD-6").orElseThrow().verdict()).isEqualTo(Verdict.PASS);

    EvidenceWriter.write(e, dir.resolve("evidence"), "NEGuard test");
    String html = Files.readString(dir.resolve("evidence").resolve(EvidenceWriter.HTML));
    assertThat(html).contains("rule &#39;telnet&#39;", "rule &#39;rlogin-rsh&#39;",
        "rule &#39;finger&#39;", "rule &#39;echo&#39;", "rule &#39;time&#39;");
  }
}
