package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.harden.eval.Observations;
import org.neguard.harden.report.EvidenceWriter;
import org.neguard.testing.FakePeer;
import org.neguard.testing.RequiredProgram;

/**
 * {@code harden check} and {@code harden diff} end to end, in process: exit codes 0/1/2/3, JSON,
 * evidence files (HRD-1, HRD-4, HRD-5, HRD-6).
 */
class HardenCheckDiffTest {
  static final Path MME = Path.of("..", "examples", "policies", "mme.yaml");

  @TempDir Path dir;

  Path write(String name, Observation o) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, ObservationCodec.encode(o));
    return p;
  }

  Path policy() throws IOException {
    Path p = dir.resolve("p.yaml");
    Files.writeString(p, """
        schema: neguard-hardening-policy/1
        neType: mme
        allowed:
          - {transport: tcp, port: 22, service: ssh, justification: OAM}
          - {transport: sctp, port: 36412, service: s1ap, justification: S1-MME}
        """);
    return p;
  }

  @Test
  @DisplayName("HRD-1: only declared ports open: exit 0, JSON pass with the requirements")
  void check_declaredOnly_exit0() throws Exception {
    Path inv = write("inv.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root").build());
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString(),
        "--json");
    assertThat(r.exit()).as(r.toString()).isZero();
    JsonNode j = r.json();
    assertThat(j.get("verdict").asText()).isEqualTo("pass");
    assertThat(j.get("result").asText()).isEqualTo("PASS");
    assertThat(j.get("requirements").get("HRD-3").asText()).isEqualTo("NOT_TESTED");
    assertThat(j.get("evidence").get("stale").get(0).get("port").asText())
        .isEqualTo("sctp/36412");
  }

  @Test
  @DisplayName("HRD-6: a process name with terminal escapes cannot rewrite the verdict on screen")
  void check_processNameWithEscapes_printedEscaped() throws Exception {
    // ESC [1A ESC [2K moves up one line and erases it: the UNDECLARED finding would vanish.
    String exe = "/tmp/\u001b[1A\u001b[2Kminer";
    Path inv = write("inv.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root")
        .process(Transport.TCP, 4444, null, exe, "nobody").build());
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString());
    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    assertThat(r.out()).contains("UNDECLARED_SERVICE", "\\u001b[1A")
        .doesNotContain("\u001b");
  }

  @Test
  @DisplayName("HRD-5, HRD-6: a forbidden service open exits 3 and the evidence names its rule")
  void check_forbiddenOpen_exit3WithEvidence() throws Exception {
    Path inv = write("inv.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root")
        .process(Transport.TCP, 23, "telnet", "/usr/sbin/inetutils-inetd", "root")
        .open(Transport.TCP, 8080, null).build());
    Path report = dir.resolve("evidence");
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString(),
        "--report", report.toString());
    assertThat(r.exit()).as(r.toString()).isEqualTo(3);
    assertThat(r.out()).contains("FAIL", "FORBIDDEN (telnet)", "FORBIDDEN_SERVICE",
        "UNDECLARED_SERVICE", "tcp/8080", "rule 'telnet'", "evidence");
    assertThat(r.err()).isEmpty();
    assertThat(report.resolve(EvidenceWriter.HTML)).isRegularFile();
    assertThat(report.resolve(EvidenceWriter.JSON)).isRegularFile();
    assertThat(report.resolve(EvidenceWriter.JUNIT)).isRegularFile();
    assertThat(Files.readString(report.resolve(EvidenceWriter.HTML)))
        .contains("TC_NO_UNNECESSARY_SERVICE", "/usr/sbin/inetutils-inetd");

    CliRun j = HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString(),
        "--json");
    assertThat(j.exit()).isEqualTo(3);
    assertThat(j.json().get("verdict").asText()).isEqualTo("fail");
    assertThat(j.json().get("reasons").get(0).get("code").asText())
        .isEqualTo("FORBIDDEN_SERVICE");
    assertThat(j.json().get("reasons").get(0).get("subject").asText()).isEqualTo("tcp/23");
  }

  @Test
  @DisplayName("bad input: an incomplete observation never passes: exit 3, SCAN_INCOMPLETE")
  void check_incompleteInventory_exit3() throws Exception {
    Path inv = write("inv.json", Observations.scan().incomplete("interrupted (Ctrl-C)")
        .port(Transport.TCP, "0.0.0.0", 22, PortState.OPEN, "ssh").build());
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString(),
        "--json");
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.json().get("result").asText()).isEqualTo("INCONCLUSIVE");
    assertThat(r.json().get("reasons").get(0).get("code").asText()).isEqualTo("SCAN_INCOMPLETE");
  }

  @Test
  @DisplayName("bad input: an invalid policy is an error (exit 1) naming line and column")
  void check_invalidPolicy_exit1WithPosition() throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "schema: neguard-hardening-policy/1\nneType: mme\nallowed:\n"
        + "  - {transport: tcp, port: 70000, service: x, justification: y}\n");
    Path inv = write("inv.json", Observations.inventory().build());
    CliRun r = HardenCli.check("--policy", bad.toString(), "--inventory", inv.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("POLICY_INVALID", "line 4, column 28", "port out of range")
        .doesNotContain("Exception", "\tat ");
  }

  @Test
  void check_badInventoryOrWrongHost_exit1() throws Exception {
    Path junk = dir.resolve("junk.json");
    Files.writeString(junk, "{\"source\": \"inventory\", \"extra\": 1}");
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", junk.toString(),
        "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().get("reasons").get(0).get("code").asText()).isEqualTo("BAD_INPUT");
    Path inv = write("inv.json", Observations.inventory().build());
    CliRun other = HardenCli.check("--policy", policy().toString(), "--inventory",
        inv.toString(), "--host", "ne-2.example");
    assertThat(other.exit()).isEqualTo(1);
    assertThat(other.err()).contains("BAD_INPUT", "ne-1.example", "not ne-2.example");
    CliRun missing = HardenCli.check("--policy", policy().toString(), "--inventory",
        dir.resolve("none.json").toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("IO_ERROR", "no such file");
  }

  @Test
  @DisplayName("bad input: an inventory from a pipe larger than the limit is refused while it is"
      + " read, not after (HRD-6)")
  void check_oversizedInventoryFromPipe_refusedBeforeReadingItAll() throws Exception {
    Path fifo = dir.resolve("inventory.fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    // A pipe reports size 0: only a limit applied while reading stops it.
    Thread writer = new Thread(() -> {
      try (var out = Files.newOutputStream(fifo)) {
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, (byte) ' ');
        for (int i = 0; i < 200; i++) {
          out.write(chunk);
        }
      } catch (java.io.IOException expectedWhenTheReaderStops) {
        // the reader closed the pipe at its limit
      }
    });
    writer.start();
    CliRun r = HardenCli.check("--policy", policy().toString(), "--inventory", fifo.toString(),
        "--json");
    writer.join(30_000);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().get("reasons").get(0).get("code").asText()).isEqualTo("BAD_INPUT");
    assertThat(r.json().get("reasons").get(0).get("message").asText())
        .contains("more than an observation can be");
    assertThat(writer.isAlive()).isFalse();
  }

  @Test
  @DisplayName("usage: exactly one input, and --host with --nmap-xml (exit 2)")
  void check_usageErrors_exit2() throws Exception {
    Path inv = write("inv.json", Observations.inventory().build());
    assertThat(HardenCli.check("--policy", policy().toString()).exit()).isEqualTo(2);
    assertThat(HardenCli.check("--policy", policy().toString(), "--inventory", inv.toString(),
        "--nmap-xml", inv.toString()).exit()).isEqualTo(2);
    CliRun noHost = HardenCli.check("--policy", policy().toString(), "--nmap-xml",
        inv.toString());
    assertThat(noHost.exit()).isEqualTo(2);
    assertThat(noHost.err()).contains("--host");
  }

  @Test
  @DisplayName("HRD-3: real nmap XML of a loopback listener against the MME sample policy")
  void check_realNmapXml_againstMmePolicy() throws Exception {
    String nmap = RequiredProgram.require("nmap").toString();
    Path xml = dir.resolve("scan.xml");
    try (FakePeer s = FakePeer.always(FakePeer.SILENT)) {
      Process p = new ProcessBuilder(nmap, "-sT", "-Pn", "-n", "-p", s.port() + ",22,23",
          "-oX", xml.toString(), "127.0.0.1").redirectErrorStream(true)
          .redirectOutput(dir.resolve("nmap.log").toFile()).start();
      try {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      } finally {
        p.destroyForcibly();
      }
      CliRun r = HardenCli.check("--policy", MME.toString(), "--nmap-xml", xml.toString(),
          "--host", "127.0.0.1", "--json", "--report", dir.resolve("ev").toString());
      assertThat(r.exit()).as(r.toString()).isEqualTo(3);
      JsonNode j = r.json();
      assertThat(j.get("evidence").get("procedure").get("tool").asText()).startsWith("nmap ");
      assertThat(j.get("reasons").toString()).contains("UNDECLARED_SERVICE",
          "tcp/" + s.port());
      // The port half passed; without --vulndb HRD-3's vulnerability half is not tested.
      assertThat(j.get("requirements").get("HRD-3").asText()).isEqualTo("NOT_TESTED");
      // The baseline UDP ports were not scanned: HRD-5 cannot pass.
      assertThat(j.get("requirements").get("HRD-5").asText()).isEqualTo("INCONCLUSIVE");

      CliRun other = HardenCli.check("--policy", MME.toString(), "--nmap-xml", xml.toString(),
          "--host", "192.0.2.99");
      assertThat(other.exit()).isEqualTo(1);
      assertThat(other.err()).contains("BAD_INPUT", "not about 192.0.2.99");
    }
  }

  @Test
  @DisplayName("HRD-6: diff of the same sockets exits 0; a change after reboot exits 3")
  void diff_sameAndChanged() throws Exception {
    Path a = write("a.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root").build());
    Path b = write("b.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root").build());
    CliRun same = HardenCli.diff(a.toString(), b.toString());
    assertThat(same.exit()).as(same.toString()).isZero();
    assertThat(same.out()).contains("SAME");
    Path c = write("c.json", Observations.inventory()
        .process(Transport.TCP, 22, "ssh", "/usr/sbin/sshd", "root")
        .open(Transport.UDP, 69, "tftp").build());
    CliRun changed = HardenCli.diff(a.toString(), c.toString(), "--json");
    assertThat(changed.exit()).isEqualTo(3);
    assertThat(changed.json().get("same").asBoolean()).isFalse();
    assertThat(changed.json().get("reasons").get(0).get("code").asText())
        .isEqualTo("PORTS_CHANGED");
    assertThat(changed.json().get("changes").get(0).get("kind").asText()).isEqualTo("ADDED");
    Path junk = dir.resolve("junk.json");
    Files.writeString(junk, "[");
    assertThat(HardenCli.diff(a.toString(), junk.toString()).exit()).isEqualTo(1);
    assertThat(List.of(HardenCli.diff(a.toString()).exit())).containsExactly(2);
  }
}
