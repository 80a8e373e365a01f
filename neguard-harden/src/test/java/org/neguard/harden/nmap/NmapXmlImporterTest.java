package org.neguard.harden.nmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.FakePeer;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Evaluation;
import org.neguard.harden.eval.Evaluator;
import org.neguard.harden.eval.PortStatus;
import org.neguard.harden.eval.Verdict;
import org.neguard.harden.policy.Baseline;
import org.neguard.harden.policy.Policy;
import org.neguard.harden.policy.PolicyParser;
import org.neguard.harden.policy.PortKey;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * HRD-3: nmap's own XML output, captured from real scans of a loopback listener, imported as an
 * observation and judged; malformed files, files about another host and XML entity tricks are
 * refused with BAD_INPUT.
 */
class NmapXmlImporterTest {
  @TempDir static Path dir;
  static FakePeer listener;
  static Path tcpScan;

  @BeforeAll
  static void scan() throws Exception {
    listener = NmapRun.sshLikeListener();
    tcpScan = NmapRun.scanLoopback(dir.resolve("tcp.xml"),
        "-sT", "-sV", "--version-light", "-Pn", "-n", "-p", listener.port() + ",7,21,23");
  }

  @AfterAll
  static void stop() throws Exception {
    if (listener != null) {
      listener.close();
    }
  }

  static Policy declaring(int port) throws RefusalException {
    return PolicyParser.parse(("schema: neguard-hardening-policy/1\nneType: test\nallowed:\n"
        + "  - {transport: tcp, port: " + port + ", service: ssh, justification: OAM}\n")
        .getBytes(StandardCharsets.UTF_8), "test.yaml");
  }

  @Test
  @DisplayName("HRD-3: a real nmap -sT -sV scan imports with tool, command, times and services")
  void read_realTcpScan_importsPortsAndProcedure() throws Exception {
    Observation o = NmapXmlImporter.read(tcpScan, "127.0.0.1", Baseline.ports());
    assertThat(o.source()).isEqualTo("nmap-xml");
    assertThat(o.host()).isEqualTo("127.0.0.1");
    assertThat(o.tool()).matches("nmap \\d+\\.\\d+.*");
    assertThat(o.complete()).isTrue();
    assertThat(o.parameters().get("command")).contains("-sT", "-sV", "127.0.0.1");
    assertThat(o.parameters().get("scan")).contains("connect scan of 4 tcp port(s)");
    assertThat(o.finished()).isAfterOrEqualTo(o.started());
    ObservedPort ssh = port(o, Transport.TCP, listener.port());
    assertThat(ssh.state()).isEqualTo(PortState.OPEN);
    assertThat(ssh.service()).isEqualTo("ssh");
    assertThat(ssh.evidence()).contains("OpenSSH");
    assertThat(port(o, Transport.TCP, 23).state()).isEqualTo(PortState.CLOSED);
    // Baseline ports nmap did not examine are NOT_CHECKED, never closed.
    assertThat(port(o, Transport.TCP, 445).state()).isEqualTo(PortState.NOT_CHECKED);
    assertThat(port(o, Transport.UDP, 69).state()).isEqualTo(PortState.NOT_CHECKED);
    assertThat(port(o, Transport.UDP, 69).evidence()).contains("no udp scan");
  }

  @Test
  @DisplayName("HRD-3: the CPE nmap -sV prints for the identified OpenSSH (a CPE 2.2 URI) is"
      + " passed on with the port, so that remote findings come through CPE matching")
  void read_realTcpScan_keepsServiceCpe() throws Exception {
    Observation o = NmapXmlImporter.read(tcpScan, "127.0.0.1", Baseline.ports());
    assertThat(port(o, Transport.TCP, listener.port()).cpe())
        .isEqualTo("cpe:/a:openbsd:openssh:9.2p1");
    assertThat(port(o, Transport.TCP, 23).cpe()).isNull();
  }

  @Test
  @DisplayName("HRD-3: a CPE of a service nmap did not probe, an OS CPE and a malformed one are"
      + " not taken for the service's product")
  void read_cpeOnlyFromProbedApplication() throws Exception {
    String ports = "<ports>"
        + "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" reason=\"syn-ack\"/>"
        + "<service name=\"ssh\" method=\"table\"><cpe>cpe:/a:openbsd:openssh:9.2p1</cpe>"
        + "</service></port>"
        + "<port protocol=\"tcp\" portid=\"80\"><state state=\"open\" reason=\"syn-ack\"/>"
        + "<service name=\"http\" method=\"probed\"><cpe>cpe:/o:linux:linux_kernel</cpe>"
        + "<cpe>not a cpe</cpe><cpe>cpe:/a:apache:http_server:2.4.57</cpe></service></port>"
        + "<port protocol=\"tcp\" portid=\"8080\"><state state=\"open\" reason=\"syn-ack\"/>"
        + "<service name=\"http\" method=\"probed\"><cpe>cpe:/a:x y</cpe>"
        + "<cpe>cpe:/a:%zz:product</cpe></service></port>"
        + "</ports>";
    String body = "<scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"3\""
        + " services=\"22,80,8080\"/>\n<host starttime=\"100\" endtime=\"160\"><status"
        + " state=\"up\" reason=\"user-set\"/>\n<address addr=\"127.0.0.1\" addrtype=\"ipv4\"/>"
        + ports + "</host>\n<runstats><finished time=\"160\" exit=\"success\"/>"
        + "<hosts up=\"1\" down=\"0\" total=\"1\"/></runstats>";
    Observation o = NmapXmlImporter.read(xml("scanner=\"nmap\" start=\"100\"", body),
        "127.0.0.1", Set.of());
    assertThat(port(o, Transport.TCP, 22).cpe()).isNull();
    assertThat(port(o, Transport.TCP, 80).cpe()).isEqualTo("cpe:/a:apache:http_server:2.4.57");
    assertThat(port(o, Transport.TCP, 8080).cpe()).isNull();
  }

  @Test
  @DisplayName("HRD-4, HRD-5: a TCP-only scan cannot pass HRD-5; the undeclared listener fails")
  void evaluate_realTcpScan_undeclaredAndInconclusive() throws Exception {
    Observation o = NmapXmlImporter.read(tcpScan, "127.0.0.1", Baseline.ports());
    Evaluation undeclared = Evaluator.evaluate(declaring(2222), o);
    assertThat(undeclared.findings(PortStatus.UNDECLARED)).singleElement()
        .satisfies(f -> assertThat(f.port().port()).isEqualTo(listener.port()));
    assertThat(undeclared.verdict()).isEqualTo(Verdict.FAIL);
    Evaluation declared = Evaluator.evaluate(declaring(listener.port()), o);
    assertThat(declared.findings()).filteredOn(f -> f.port().port() == listener.port())
        .singleElement().satisfies(f -> assertThat(f.status()).isEqualTo(PortStatus.ALLOWED));
    assertThat(declared.requirement("HRD-5").orElseThrow().verdict())
        .isEqualTo(Verdict.INCONCLUSIVE);
    assertThat(declared.passed()).isFalse();
  }

  @Test
  @DisplayName("HRD-3, HRD-5: nmap over every baseline port, TCP and UDP, passes a declared listener")
  void evaluate_realFullBaselineScan_passes() throws Exception {
    Assumptions.assumeTrue(NmapRun.root(), "a UDP scan needs root");
    StringBuilder tcp = new StringBuilder("T:" + listener.port());
    StringBuilder udp = new StringBuilder("U:");
    for (PortKey k : Baseline.ports()) {
      if (k.transport() == Transport.TCP) {
        tcp.append(',').append(k.port());
      } else {
        udp.append(udp.length() > 2 ? "," : "").append(k.port());
      }
    }
    Path xml = NmapRun.scanLoopback(dir.resolve("full.xml"), "-sT", "-sU", "-Pn", "-n",
        "--max-retries", "2", "-p", tcp + "," + udp);
    Observation o = NmapXmlImporter.read(xml, "127.0.0.1", Baseline.ports());
    assertThat(o.ports()).filteredOn(p -> p.state() == PortState.NOT_CHECKED).isEmpty();
    Evaluation e = Evaluator.evaluate(declaring(listener.port()), o);
    assertThat(e.reasons()).isEmpty();
    assertThat(e.verdict()).isEqualTo(Verdict.PASS);
    // The port half of HRD-3 passes; without a vulnerability assessment HRD-3 is not tested.
    assertThat(e.requirement("HRD-3").orElseThrow().verdict()).isEqualTo(Verdict.NOT_TESTED);
    assertThat(Evaluator.portScanVerdict(o)).isEqualTo(Verdict.PASS);
  }

  @Test
  @DisplayName("bad input: nmap XML from another host is refused (BAD_INPUT)")
  void read_otherHost_badInput() {
    assertThatThrownBy(() -> NmapXmlImporter.read(tcpScan, "192.0.2.10", Set.of()))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
          assertThat(e.getMessage()).contains("not about 192.0.2.10", "127.0.0.1");
        });
    // A PTR name is not proof of identity; only an address or the name nmap was given counts.
    assertThatThrownBy(() -> NmapXmlImporter.read(tcpScan, "localhost", Set.of()))
        .hasMessageContaining("not about localhost");
  }

  @Test
  @DisplayName("bad input: malformed nmap XML (an interrupted scan's file) is refused")
  void read_truncatedXml_badInput() throws Exception {
    byte[] full = Files.readAllBytes(tcpScan);
    byte[] cut = java.util.Arrays.copyOf(full, full.length * 2 / 3);
    assertBad(cut, "malformed", "line ");
    assertBad("not xml at all".getBytes(StandardCharsets.UTF_8), "malformed");
    assertBad(new byte[0], "malformed");
    assertBad("<?xml version=\"1.0\"?><report/>".getBytes(StandardCharsets.UTF_8),
        "root element is <report>");
    assertBad(xml("scanner=\"masscan\""), "not nmap");
  }

  @Test
  @DisplayName("bad input: DTD entities (XXE, entity expansion) are refused, never expanded")
  void read_entities_refused() throws Exception {
    Path secret = dir.resolve("secret.txt");
    Files.writeString(secret, "TOP-SECRET-CONTENT");
    String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [<!ENTITY x SYSTEM \""
        + secret.toUri() + "\">]>\n<nmaprun scanner=\"nmap\" args=\"&x;\" start=\"1\"/>";
    assertThatThrownBy(() -> NmapXmlImporter.read(xxe.getBytes(StandardCharsets.UTF_8),
        "127.0.0.1", Set.of()))
        .isInstanceOf(RefusalException.class)
        .hasMessageNotContaining("TOP-SECRET")
        .satisfies(e -> assertThat(((RefusalException) e).code())
            .isEqualTo(ReasonCode.BAD_INPUT));
    String laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [<!ENTITY a \"aaaaaaaaaa\">"
        + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<nmaprun scanner=\"nmap\""
        + " args=\"&b;\" start=\"1\"/>";
    assertBad(laughs.getBytes(StandardCharsets.UTF_8), "");
    String external = "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun SYSTEM \"http://192.0.2.1/x.dtd\">"
        + "\n<nmaprun scanner=\"nmap\" start=\"1\"/>";
    assertBad(external.getBytes(StandardCharsets.UTF_8), "document type");
  }

  @Test
  @DisplayName("an nmap file without its run statistics is an incomplete observation, never a pass")
  void read_unfinishedRun_incomplete() throws Exception {
    String s = Files.readString(tcpScan).replaceAll("(?s)<runstats>.*</runstats>", "");
    Observation o = NmapXmlImporter.read(s.getBytes(StandardCharsets.UTF_8), "127.0.0.1",
        Set.of());
    assertThat(o.complete()).isFalse();
    assertThat(o.notes()).anySatisfy(n -> assertThat(n).contains("did not finish"));
    Evaluation e = Evaluator.evaluate(declaring(listener.port()), o);
    assertThat(e.passed()).isFalse();
    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.SCAN_INCOMPLETE);
  }

  @Test
  @DisplayName("ports nmap grouped as filtered stay inconclusive; a user-given name matches")
  void read_filteredGroupAndHostName() throws Exception {
    String body = "<scaninfo type=\"syn\" protocol=\"tcp\" numservices=\"1000\""
        + " services=\"1-1000\"/>\n<host starttime=\"100\" endtime=\"160\"><status state=\"up\""
        + " reason=\"echo-reply\"/>\n<address addr=\"192.0.2.7\" addrtype=\"ipv4\"/>\n"
        + "<hostnames><hostname name=\"mme-1.lab\" type=\"user\"/></hostnames>\n"
        + "<ports><extraports state=\"filtered\" count=\"999\"><extrareasons"
        + " reason=\"no-response\" count=\"999\" proto=\"tcp\" ports=\"1-21,23-1000\"/>"
        + "</extraports>\n<port protocol=\"tcp\" portid=\"22\"><state state=\"open\""
        + " reason=\"syn-ack\"/><service name=\"ssh\" method=\"table\" conf=\"3\"/></port>"
        + "</ports></host>\n<runstats><finished time=\"160\" exit=\"success\"/>"
        + "<hosts up=\"1\" down=\"0\" total=\"1\"/></runstats>";
    Observation o = NmapXmlImporter.read(xml("scanner=\"nmap\" start=\"100\" version=\"7.93\"",
        body), "mme-1.lab", Set.of(PortKey.tcp(23), PortKey.tcp(22), PortKey.tcp(2049)));
    assertThat(port(o, Transport.TCP, 22).service()).isNull();
    assertThat(port(o, Transport.TCP, 22).evidence()).contains("suggests 'ssh' (not probed)");
    assertThat(port(o, Transport.TCP, 23).state()).isEqualTo(PortState.FILTERED);
    assertThat(port(o, Transport.TCP, 2049).state()).isEqualTo(PortState.NOT_CHECKED);
    assertThat(o.started().getEpochSecond()).isEqualTo(100);
    assertThat(o.finished().getEpochSecond()).isEqualTo(160);
    assertThat(NmapXmlImporter.read(xml("scanner=\"nmap\" start=\"100\"", body), "192.0.2.7",
        Set.of()).host()).isEqualTo("192.0.2.7");
  }

  private static byte[] xml(String rootAttrs) {
    return xml(rootAttrs + " start=\"1\"", "");
  }

  private static byte[] xml(String rootAttrs, String body) {
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n<nmaprun "
        + rootAttrs + ">\n" + body + "\n</nmaprun>\n").getBytes(StandardCharsets.UTF_8);
  }

  private static void assertBad(byte[] xml, String fragment, String... more) {
    assertThatThrownBy(() -> NmapXmlImporter.read(xml, "127.0.0.1", Set.of()))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.code()).isEqualTo(ReasonCode.BAD_INPUT);
          assertThat(e.getMessage()).contains(fragment);
          if (more.length > 0) {
            assertThat(e.getMessage()).contains(more);
          }
        });
  }

  private static ObservedPort port(Observation o, Transport t, int port) {
    Set<String> seen = new HashSet<>();
    return o.ports().stream().peek(p -> seen.add(p.transport() + "/" + p.port()))
        .filter(p -> p.transport() == t && p.port() == port).findFirst()
        .orElseThrow(() -> new AssertionError(t + "/" + port + " not in " + o.ports()));
  }
}
