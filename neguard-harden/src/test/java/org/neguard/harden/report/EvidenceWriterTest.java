package org.neguard.harden.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.harden.Transport.TCP;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.Observations;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** HRD-6: the evidence, HTML for a certifier and JSON + JUnit XML for pipelines. */
class EvidenceWriterTest {
  static final String HOSTILE = "<script>alert('x')</script>\u0001\u001b[31m&amp;";

  @TempDir Path dir;

  static Policy policy() throws Exception {
    return PolicyParser.parse(("""
        schema: neguard-hardening-policy/1
        neType: mme
        description: test <b>policy</b>
        allowed:
          - {transport: tcp, port: 22, service: ssh, justification: OAM}
          - {transport: sctp, port: 36412, service: s1ap, justification: S1-MME}
        waivers:
          - {rule: echo, reason: "lab loopback test, <not> production"}
        """).getBytes(StandardCharsets.UTF_8), "mme.yaml");
  }

  static Evaluation failing() throws Exception {
    Observation o = new Observation("nmap-xml", "192.0.2.7", "tester", "nmap 7.93",
        Instant.parse("2026-11-23T10:00:00Z"), Instant.parse("2026-11-23T10:02:00Z"), true,
        Map.of("command", "nmap -sT -p- -oX out.xml 192.0.2.7"),
        List.of(
            new ObservedPort(TCP, "192.0.2.7", 22, PortState.OPEN, "ssh", "OpenSSH", null,
                List.of()),
            new ObservedPort(TCP, "192.0.2.7", 23, PortState.OPEN, "telnet", HOSTILE, null,
                List.of()),
            new ObservedPort(TCP, "192.0.2.7", 8080, PortState.OPEN, null, null, null,
                List.of())),
        List.of("note with " + HOSTILE));
    return Evaluator.evaluate(policy(), o);
  }

  @Test
  @DisplayName("HRD-6: HTML, JSON and JUnit XML in the TS 33.117 test-case shape")
  void write_failingEvaluation_threeFilesInScasShape() throws Exception {
    List<Path> files = EvidenceWriter.write(failing(), dir, "NEGuard test");
    assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly(
        EvidenceWriter.HTML, EvidenceWriter.JSON, EvidenceWriter.JUNIT);
    assertThat(dir).isDirectoryContaining(p -> true);
    try (var s = Files.list(dir)) {
      assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
    }

    String html = Files.readString(dir.resolve(EvidenceWriter.HTML));
    assertThat(html).contains("TC_NO_UNNECESSARY_SERVICE", "§4.3.2.1", "TC_BVT_PORT_SCANNING",
        "§4.4.2", "Purpose", "Procedure executed", "Expected result", "Actual result",
        "HRD-1", "HRD-5", "HRD-6", "nmap 7.93", "nmap -sT -p- -oX out.xml 192.0.2.7",
        "2026-11-23T10:00:00Z", "2026-11-23T10:02:00Z", "FORBIDDEN_SERVICE",
        "UNDECLARED_SERVICE", "class=\"bad\"", "lab loopback test, &lt;not&gt; production",
        "Content-Security-Policy", "sctp/36412", "stale");
    // Nothing from the observation or the policy reaches the page unescaped.
    assertThat(html).doesNotContain("<script", "<b>policy</b>", "\u0001", "\u001b");
    assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "&amp;amp;");

    JsonNode json = new ObjectMapper().readTree(dir.resolve(EvidenceWriter.JSON).toFile());
    assertThat(json.get("format").asText()).isEqualTo("neguard-hardening-evidence/1");
    assertThat(json.get("result").asText()).isEqualTo("FAIL");
    assertThat(json.get("testCases").get(0).get("id").asText())
        .isEqualTo("TC_NO_UNNECESSARY_SERVICE");
    assertThat(json.get("testCases").get(0).get("verdict").asText()).isEqualTo("FAIL");
    assertThat(json.get("testCases").get(0).get("procedure").toString()).contains("nmap 7.93");
    assertThat(json.get("requirements")).hasSize(6);
    assertThat(json.get("ports")).hasSize(3);
    assertThat(json.get("ports").get(1).get("status").asText()).isEqualTo("FORBIDDEN");
    assertThat(json.get("ports").get(1).get("rule").asText()).isEqualTo("telnet");
    assertThat(json.get("policy").get("waivers").get(0).get("reason").asText())
        .contains("lab loopback");
    assertThat(json.get("reasons").get(0).get("code").asText()).isEqualTo("FORBIDDEN_SERVICE");

    Document junit = secureDom().parse(dir.resolve(EvidenceWriter.JUNIT).toFile());
    // 5 + 3 + 2: the vulnerability-scanning test case (HRD-3, HRD-6), skipped here.
    assertThat(junit.getDocumentElement().getAttribute("tests")).isEqualTo("10");
    NodeList cases = junit.getElementsByTagName("testcase");
    assertThat(cases.getLength()).isEqualTo(10);
    assertThat(junit.getElementsByTagName("failure").getLength()).isGreaterThanOrEqualTo(3);
    String all = Files.readString(dir.resolve(EvidenceWriter.JUNIT));
    assertThat(all).contains("classname=\"TC_BVT_PORT_SCANNING\"", "name=\"HRD-5: ");
  }

  @Test
  @DisplayName("HRD-6: an inventory leaves the port-scanning test case NOT_TESTED (JUnit skipped)")
  void write_inventory_portScanningSkipped() throws Exception {
    Evaluation e = Evaluator.evaluate(policy(),
        Observations.inventory().port(TCP, "0.0.0.0", 22, PortState.OPEN, "ssh").build());
    EvidenceWriter.write(e, dir, "NEGuard test");
    Document junit = secureDom().parse(dir.resolve(EvidenceWriter.JUNIT).toFile());
    // Port scanning (3) and vulnerability scanning (2) not tested.
    assertThat(junit.getElementsByTagName("skipped").getLength()).isEqualTo(5);
    assertThat(junit.getElementsByTagName("failure").getLength()).isZero();
    JsonNode json = new ObjectMapper().readTree(dir.resolve(EvidenceWriter.JSON).toFile());
    assertThat(json.get("result").asText()).isEqualTo("PASS");
    assertThat(json.get("testCases").get(1).get("verdict").asText()).isEqualTo("NOT_TESTED");
  }

  @Test
  @DisplayName("existing evidence is never overwritten, and nothing is written then")
  void write_existingFile_refusedWritingNothing() throws Exception {
    Files.writeString(dir.resolve(EvidenceWriter.JUNIT), "old evidence");
    assertThatThrownBy(() -> EvidenceWriter.write(failing(), dir, "NEGuard test"))
        .isInstanceOf(FileAlreadyExistsException.class);
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly(EvidenceWriter.JUNIT);
    }
    assertThat(Files.readString(dir.resolve(EvidenceWriter.JUNIT))).isEqualTo("old evidence");
  }

  static javax.xml.parsers.DocumentBuilder secureDom() throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    return f.newDocumentBuilder();
  }
}
