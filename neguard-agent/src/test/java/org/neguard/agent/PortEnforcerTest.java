package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The enforce mode for real: nftables in a network namespace this test creates, listeners
 * (socat) inside it, and connections from inside it. Needs root, iproute2, nftables and socat;
 * fails (never skips) without them.
 */
@DisplayName("HRD-1 HRD-4 enforce mode: undeclared ports dropped by the agent's own nftables"
    + " table")
class PortEnforcerTest {
  static String ns;
  static final List<Process> listeners = new ArrayList<>();
  static PortEnforcer enforcer;

  static void require(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return;
      }
    }
    throw new AssertionError("required program '" + program + "' is not on PATH (.ci/run"
        + " installs it)");
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  static String inNs(String... command) throws IOException, InterruptedException {
    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    c.addAll(List.of(command));
    return run(c.toArray(String[]::new));
  }

  /** Whether a TCP connection from inside the namespace to ADDRESS:PORT is established. */
  static boolean connects(String address, int port) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns, "socat", "-T1", "-",
        "TCP:" + address + ":" + port + ",connect-timeout=1")
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() == 0;
  }

  @BeforeAll
  static void namespace() throws Exception {
    for (String program : List.of("ip", "nft", "socat")) {
      require(program);
    }
    assertThat(System.getProperty("user.name")).as("network namespaces need root; CI runs the"
        + " tests as root").isEqualTo("root");
    ns = "nga-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    run("ip", "netns", "add", ns);
    inNs("ip", "link", "set", "lo", "up");
    // Someone else's table: the agent must never touch it.
    inNs("nft", "add", "table", "inet", "other");
    inNs("nft", "add", "chain", "inet", "other", "input",
        "{ type filter hook input priority 0; policy accept; }");
    inNs("nft", "add", "rule", "inet", "other", "input", "tcp", "dport", "9999", "accept");
    for (int port : new int[] {7001, 7002, 7004}) {
      listeners.add(new ProcessBuilder("ip", "netns", "exec", ns, "socat",
          "TCP-LISTEN:" + port + ",fork,reuseaddr", "SYSTEM:echo ok")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (int port : new int[] {7001, 7002, 7004}) {
      while (!connects("127.0.0.1", port)) {
        assertThat(System.nanoTime()).as("listener on %s", port).isLessThan(deadline);
        Thread.sleep(100);
      }
    }
    enforcer = new PortEnforcer(List.of("ip", "netns", "exec", ns, "nft"));
  }

  @AfterAll
  static void remove() throws Exception {
    for (Process p : listeners) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    if (ns != null) {
      try {
        for (String pid : run("ip", "netns", "pids", ns).split("\\s+")) {
          if (!pid.isBlank()) {
            ProcessHandle.of(Long.parseLong(pid.strip()))
                .ifPresent(ProcessHandle::destroyForcibly);
          }
        }
      } finally {
        run("ip", "netns", "del", ns);
      }
    }
  }

  @Test
  @DisplayName("HRD-1 HRD-4 apply drops the undeclared ports (any address, or one address) and"
      + " nothing else; a new set replaces the old one; clear removes the table; another table"
      + " and the host's rules are untouched")
  void apply_inNamespace_blocksExactlyThosePorts() throws Exception {
    String other = inNs("nft", "list", "table", "inet", "other");
    enforcer.apply(Set.of(PortRef.of("tcp", 7001), new PortRef("tcp", 7004, "127.0.0.2")));
    assertThat(connects("127.0.0.1", 7001)).as("7001 blocked").isFalse();
    assertThat(connects("127.0.0.1", 7002)).as("7002 declared, open").isTrue();
    assertThat(connects("127.0.0.1", 7004)).as("7004 blocked only on 127.0.0.2").isTrue();
    assertThat(connects("127.0.0.2", 7004)).as("7004 on 127.0.0.2 blocked").isFalse();
    assertThat(inNs("nft", "list", "table", "inet", PortEnforcer.TABLE))
        .contains("tcp dport 7001 counter packets").contains("ip daddr 127.0.0.2 tcp dport 7004"
            + " counter packets");
    assertThat(inNs("nft", "list", "table", "inet", "other")).isEqualTo(other);
    assertThat(run("nft", "list", "tables")).as("the host's own ruleset is not touched")
        .doesNotContain(PortEnforcer.TABLE);

    // The policy now declares 7001 and 7004; 7002 appeared undeclared: one replacement.
    enforcer.apply(Set.of(PortRef.of("tcp", 7002)));
    assertThat(connects("127.0.0.1", 7001)).isTrue();
    assertThat(connects("127.0.0.2", 7004)).isTrue();
    assertThat(connects("127.0.0.1", 7002)).isFalse();
    assertThat(inNs("nft", "list", "table", "inet", PortEnforcer.TABLE))
        .doesNotContain("7001").contains("tcp dport 7002 counter packets");

    enforcer.clear();
    assertThat(inNs("nft", "list", "tables")).doesNotContain(PortEnforcer.TABLE)
        .contains("inet other");
    assertThat(connects("127.0.0.1", 7002)).isTrue();
    enforcer.clear(); // nothing to remove: still fine
    enforcer.apply(Set.of(PortRef.of("tcp", 7001)));
    enforcer.apply(Set.of()); // the empty set: the table goes
    assertThat(inNs("nft", "list", "tables")).doesNotContain(PortEnforcer.TABLE);
    assertThat(inNs("nft", "list", "table", "inet", "other")).isEqualTo(other);
  }

  @Test
  @DisplayName("HRD-1 HRD-4 an undeclared SCTP port (an MME's S1-MME is SCTP) is dropped too:"
      + " real SCTP INIT packets to it hit the agent's rule, those to another port do not")
  void apply_sctp_initToThatPortDropped() throws Exception {
    require("python3");
    enforcer.apply(Set.of(PortRef.of("sctp", 36412), PortRef.of("tcp", 7001)));
    // Raw SCTP INIT chunks (RFC 9260 3.3.2) from inside the namespace: this kernel may have no
    // SCTP stack to listen with, but nftables sees the packets all the same.
    inNs("python3", "-c", String.join("\n",
        "import socket, struct",
        "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)",
        "for port in (36412, 36412, 36413):",
        "    common = struct.pack('!HHII', 40000, port, 0, 0)",
        "    init = struct.pack('!BBHIIHHI', 1, 0, 20, 7, 65535, 1, 1, 1)",
        "    s.sendto(common + init, ('127.0.0.1', 0))"));
    String table = inNs("nft", "list", "table", "inet", PortEnforcer.TABLE);
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("sctp dport 36412 counter packets (\\d+) bytes \\d+ drop").matcher(table);
    assertThat(m.find()).as(table).isTrue();
    assertThat(Integer.parseInt(m.group(1))).as("INITs to 36412 dropped").isEqualTo(2);
    assertThat(table).doesNotContain("36413").contains("tcp dport 7001 counter packets 0");
    assertThat(connects("127.0.0.1", 7002)).as("7002 untouched").isTrue();
    enforcer.clear();
  }

  @Test
  @DisplayName("HRD-1 a ruleset nft refuses leaves the table as it was (one transaction) and"
      + " the failure names nft's message")
  void apply_nftFails_tableUnchanged() throws Exception {
    enforcer.apply(Set.of(PortRef.of("tcp", 7001)));
    String before = inNs("nft", "list", "table", "inet", PortEnforcer.TABLE);
    // The same transaction with a bad last line: nothing of it may take effect.
    PortEnforcer broken = new PortEnforcer(List.of("sh", "-c",
        "sed 's/7001 counter drop/7002 counter drop/; $ a bogus line' \"$2\" > \"$2.x\"; exec ip"
            + " netns exec "
            + ns + " nft -f \"$2.x\"", "sh"));
    assertThatThrownBy(() -> broken.apply(Set.of(PortRef.of("tcp", 7002))))
        .isInstanceOf(IOException.class).hasMessageContaining("failed");
    assertThat(inNs("nft", "list", "table", "inet", PortEnforcer.TABLE)).isEqualTo(before);
    enforcer.clear();
  }

  @Test
  @DisplayName("HRD-1 the ruleset holds only validated values: tcp/udp/sctp, 1..65535, IP literals"
      + " (IPv6 as ip6); anything else is refused before nft runs")
  void ruleset_validatedValuesOnly() {
    String r = PortEnforcer.ruleset(Set.of(PortRef.of("udp", 161),
        new PortRef("TCP", 22, "[::1]"), new PortRef("tcp", 80, "0.0.0.0")));
    assertThat(r).startsWith("table inet neguard_agent\ndelete table inet neguard_agent\n")
        .contains("    ip6 daddr 0:0:0:0:0:0:0:1 tcp dport 22 counter drop\n")
        .contains("    tcp dport 80 counter drop\n")
        .contains("    udp dport 161 counter drop\n").contains("hook input");
    assertThat(PortEnforcer.ruleset(Set.of(new PortRef("SCTP", 36412, "10.0.0.1"))))
        .contains("    ip daddr 10.0.0.1 sctp dport 36412 counter drop\n");
    for (Runnable bad : List.<Runnable>of(() -> PortRef.of("icmp", 1),
        () -> PortRef.of("udplite", 1), () -> PortRef.of("sctp; flush ruleset", 1),
        () -> PortRef.of("tcp", 0), () -> PortRef.of("tcp", 65536),
        () -> new PortRef("tcp", 22, "example.com"),
        () -> new PortRef("tcp", 22, "1.2.3.4; flush ruleset"),
        () -> new PortRef("tcp", 22, "::1 drop\n"), () -> new PortRef(null, 22, null))) {
      assertThatThrownBy(bad::run).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
