package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.Transport;
import org.neguard.testing.FakePeer;

/** HRD-2, HRD-3: {@code neguard harden inventory} and {@code neguard harden scan}. */
class HardenCommandsTest {
  @Test
  void help_everyHardenCommand_exits0() {
    for (String[] args : List.of(new String[] {"harden", "--help"}, new String[] {"harden", "inventory", "--help"},
        new String[] {"harden", "scan", "--help"})) {
      CliRun r = CliRun.of(args);
      assertThat(r.exit()).as(r.toString()).isZero();
      assertThat(r.out()).contains("Usage:");
    }
    assertThat(CliRun.of("harden", "scan", "--help").out()).contains("--udp-top").contains("--communities");
  }

  @Test
  @DisplayName("HRD-2: harden inventory --json lists a listener this test opens, with its process")
  void inventory_json_listsOwnListener(@TempDir Path dir) throws Exception {
    try (FakePeer s = FakePeer.on(InetAddress.getByName("127.0.0.1"), n -> FakePeer.HANG_UP)) {
      int port = s.port();
      Path out = dir.resolve("inv.json");
      CliRun r = CliRun.of("harden", "inventory", "--json", "--out", out.toString());
      assertThat(r.exit()).as(r.toString()).isZero();
      Observation o = ObservationCodec.decode(r.out().getBytes(StandardCharsets.UTF_8));
      assertThat(ObservationCodec.decode(Files.readAllBytes(out))).isEqualTo(o);
      ObservedPort p = o.ports().stream().filter(x -> x.transport() == Transport.TCP && x.port() == port)
          .findFirst().orElseThrow();
      assertThat(p.process().pid()).isEqualTo(ProcessHandle.current().pid());
      CliRun text = CliRun.of("harden", "inventory");
      assertThat(text.out()).contains("127.0.0.1").contains(Integer.toString(port)).contains("java(");
    }
  }

  @Test
  @DisplayName("HRD-3: an interrupted harden scan is a refusal, SCAN_INCOMPLETE, exit 3, as in harden check")
  void scan_interrupted_refusedScanIncompleteExit3(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("scan.json");
    CliRun text = interrupted("harden", "scan", "--target", "127.0.0.1", "--ports", "1-1024",
        "--udp-ports", "9", "--sctp-ports", "none", "--out", out.toString());
    assertThat(text.exit()).as(text.toString()).isEqualTo(3);
    assertThat(text.out()).contains("INCOMPLETE").contains("FAIL  127.0.0.1")
        .contains("SCAN_INCOMPLETE");
    assertThat(ObservationCodec.decode(Files.readAllBytes(out)).complete())
        .as("the partial observation is still written").isFalse();

    CliRun json = interrupted("harden", "scan", "--target", "127.0.0.1", "--ports", "1-1024",
        "--udp-ports", "9", "--sctp-ports", "none", "--json");
    assertThat(json.exit()).as(json.toString()).isEqualTo(3);
    assertThat(ObservationCodec.decode(json.out().getBytes(StandardCharsets.UTF_8)).complete())
        .as("standard output stays the one observation").isFalse();
    assertThat(json.err()).contains("SCAN_INCOMPLETE");
  }

  /** Runs the command on a thread that is interrupted from the start, as Ctrl-C stops a scan. */
  private static CliRun interrupted(String... args) throws InterruptedException {
    CliRun[] run = new CliRun[1];
    Thread t = new Thread(() -> {
      Thread.currentThread().interrupt();
      run[0] = CliRun.of(args);
    });
    t.start();
    t.join(TimeUnit.MINUTES.toMillis(2));
    return run[0];
  }

  @Test
  @DisplayName("HRD-3: harden scan of loopback finds the open port and its SSH banner, and writes --out")
  void scan_loopbackListener_openAndIdentified(@TempDir Path dir) throws Exception {
    int closedPort;
    try (FakePeer gone = FakePeer.always(FakePeer.HANG_UP)) {
      closedPort = gone.port();
    }
    try (FakePeer banner = FakePeer.always(FakePeer.banner("SSH-2.0-OpenSSH_9.2p1 test\r\n"))) {
      Path out = dir.resolve("scan.json");
      CliRun r = CliRun.of("harden", "scan", "--target", "127.0.0.1",
          "--ports", banner.port() + "," + closedPort, "--udp-ports", "9", "--sctp-ports", "none",
          "--communities", "public", "--json", "--out", out.toString());
      assertThat(r.exit()).as(r.toString()).isZero();
      Observation o = ObservationCodec.decode(Files.readAllBytes(out));
      assertThat(o.complete()).isTrue();
      ObservedPort p = o.ports().stream().filter(x -> x.port() == banner.port()).findFirst().orElseThrow();
      assertThat(p.state()).isEqualTo(PortState.OPEN);
      assertThat(p.service()).isEqualTo("ssh");
      assertThat(o.ports()).noneMatch(x -> x.transport() == Transport.TCP && x.port() == closedPort);
      JsonNode json = r.json();
      assertThat(json.get("source").asText()).isEqualTo("scan");
    }
  }

  @Test
  void scan_badPortList_exits2NamingIt() {
    CliRun r = CliRun.of("harden", "scan", "--target", "127.0.0.1", "--ports", "0-70000");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("port out of range 1..65535: 0");
  }

  @Test
  @DisplayName("HRD-3: a target that cannot be resolved is TARGET_UNREACHABLE, exit 1")
  void scan_unresolvableTarget_exits1TargetUnreachable() {
    CliRun r = CliRun.of("harden", "scan", "--target", "no-such-host.invalid", "--json");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.json().get("verdict").asText()).isEqualTo("error");
    assertThat(r.json().get("reasons").get(0).get("code").asText()).isEqualTo("TARGET_UNREACHABLE");
  }

  @Test
  @DisplayName("HRD-3: Ctrl-C (SIGINT) during a scan writes the partial observation marked incomplete")
  void scan_sigint_writesIncompleteObservation(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("partial.json");
    String java = ProcessHandle.current().info().command().orElse("java");
    // A UDP port that receives and never answers keeps the scan in its UDP phase for seconds;
    // its first datagram says the scan (and its Ctrl-C hook) is running.
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
      silent.setSoTimeout(60_000);
      // A shell without job control (CI started in the background, nohup) starts its children
      // with SIGINT ignored, and a JVM keeps an ignored SIGINT ignored: perl puts the default
      // disposition back, then becomes the JVM (same pid), as a terminal's Ctrl-C would find it.
      Process p = new ProcessBuilder("perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"",
          java, "-cp", System.getProperty("java.class.path"), "org.neguard.cli.Main",
          "harden", "scan", "--target", "127.0.0.1", "--ports", "1-1024", "--udp-ports",
          Integer.toString(silent.getLocalPort()), "--sctp-ports", "none", "--out", out.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
      // The scan stays about 3 s in its UDP phase after the first datagram (1 s timeout, two
      // retries); starting kill(1) only then took longer than that on a loaded machine. A shell
      // started now sends the SIGINT the moment it reads a line.
      Process killer = new ProcessBuilder("sh", "-c", "read line; kill -INT " + p.pid()).start();
      try {
        silent.receive(new DatagramPacket(new byte[512], 512));
        assertThat(p.isAlive()).as("still scanning").isTrue();
        try (var go = killer.getOutputStream()) {
          go.write('\n');
        }
        assertThat(killer.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Observation o = ObservationCodec.decode(Files.readAllBytes(out));
        assertThat(o.complete()).isFalse();
        assertThat(o.notes()).anyMatch(n -> n.startsWith("INCOMPLETE") && n.contains("udp"));
        assertThat(p.exitValue()).isNotZero();
      } finally {
        killer.destroyForcibly();
        p.destroyForcibly();
      }
    }
  }
}
