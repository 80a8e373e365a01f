package org.neguard.harden.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.Transport;

/** HRD-2: the socket tables /proc/net/{tcp,tcp6,udp,udp6} and /proc/net/sctp/eps. */
class ProcNetParserTest {
  private static final String TCP_HEADER =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  private static final String TCP6_HEADER =
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

  @Test
  void parseInet_littleEndianIpv4_listenAndEstablished() {
    String text = TCP_HEADER
        + "   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5261 1 00000000e99a675f 100 0 0 10 0\n"
        + "   1: 0263E70A:0016 0163E70A:C350 01 00000000:00000000 02:000A7D8C 00000000   106        0 7001 2 0000000072922c40 20 4 30 10 -1\n";
    List<SocketEntry> s = ProcNetParser.parseInet(Transport.TCP, false, text, ByteOrder.LITTLE_ENDIAN);
    assertThat(s).containsExactly(
        new SocketEntry(Transport.TCP, false, "127.0.0.1", 6379, true, 0, 5261),
        new SocketEntry(Transport.TCP, false, "10.231.99.2", 22, false, 106, 7001));
  }

  @Test
  void parseInet_ipv6_loopbackWildcardAndMapped() {
    String text = TCP6_HEADER
        + "   0: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 5956 1 0000000072922c40 100 0 0 10 0\n"
        + "   1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5957 1 0000000072922c40 100 0 0 10 0\n"
        + "   2: 0000000000000000FFFF00000263E70A:0801 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5958 1 0000000072922c40 100 0 0 10 0\n"
        + "   3: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5959 1 0000000072922c40 100 0 0 10 0\n";
    List<SocketEntry> s = ProcNetParser.parseInet(Transport.TCP, true, text, ByteOrder.LITTLE_ENDIAN);
    assertThat(s).extracting(SocketEntry::address, SocketEntry::port)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("::1", 4369),
            org.assertj.core.groups.Tuple.tuple("::", 22),
            org.assertj.core.groups.Tuple.tuple("::ffff:10.231.99.2", 2049),
            org.assertj.core.groups.Tuple.tuple("2001:db8::1", 443));
  }

  @Test
  void parseInet_bigEndianMachine_wordsReadInItsOrder() {
    String text = TCP_HEADER
        + "   0: 7F000001:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n";
    assertThat(ProcNetParser.parseInet(Transport.TCP, false, text, ByteOrder.BIG_ENDIAN).get(0).address())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void parseInet_udp_onlyUnconnectedSocketsListen() {
    String text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        + "  100: 0263E70A:00A1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 9001 2 0000000000000000 0\n"
        + "  101: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000  1000        0 9002 2 0000000000000000 0\n";
    List<SocketEntry> s = ProcNetParser.parseInet(Transport.UDP, false, text, ByteOrder.LITTLE_ENDIAN);
    assertThat(s).extracting(SocketEntry::port, SocketEntry::listening)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(161, true), org.assertj.core.groups.Tuple.tuple(54321, false));
  }

  @Test
  void parseInet_truncatedLine_refusedWithLineNumber() {
    String text = TCP_HEADER + "   0: 0100007F:18EB 00000000:0000 0A\n";
    assertThatThrownBy(() -> ProcNetParser.parseInet(Transport.TCP, false, text, ByteOrder.LITTLE_ENDIAN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("line 2:");
  }

  @Test
  void parseInet_shortAddress_refused() {
    String text = TCP6_HEADER
        + "   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5261 1 0 100 0 0 10 0\n";
    assertThatThrownBy(() -> ProcNetParser.parseInet(Transport.TCP, true, text, ByteOrder.LITTLE_ENDIAN))
        .hasMessageContaining("not 32 hexadecimal digits");
  }

  @Test
  @DisplayName("HRD-2 SCTP: an MME's S1-MME and NGAP endpoints (recorded sample)")
  void parseSctpEndpoints_recordedMme_s1mmeAndNgap() throws IOException {
    List<SocketEntry> s = ProcNetParser.parseSctpEndpoints(sample("eps-magma-mme.txt"));
    assertThat(s).containsExactly(
        new SocketEntry(Transport.SCTP, false, "192.168.60.142", 36412, true, 0, 465001933),
        new SocketEntry(Transport.SCTP, false, "192.168.60.142", 38412, true, 0, 465001935));
  }

  @Test
  void parseSctpEndpoints_wildcard() throws IOException {
    assertThat(ProcNetParser.parseSctpEndpoints(sample("eps-wildcard.txt")))
        .containsExactly(new SocketEntry(Transport.SCTP, false, "0.0.0.0", 8888, true, 0, 1870579));
  }

  @Test
  void parseSctpEndpoints_multihomedAndIpv6_everyAddressKept() throws IOException {
    List<SocketEntry> s = ProcNetParser.parseSctpEndpoints(sample("eps-multihomed-v6.txt"));
    assertThat(s).containsExactly(
        new SocketEntry(Transport.SCTP, false, "10.20.0.5 10.21.0.5", 29118, true, 108, 77211),
        new SocketEntry(Transport.SCTP, true, "2001:db8::5 10.20.0.5", 2905, true, 0, 77305));
  }

  @Test
  void parseSctpEndpoints_headerOnly_empty() throws IOException {
    assertThat(ProcNetParser.parseSctpEndpoints(sample("eps-empty.txt"))).isEmpty();
  }

  @Test
  void parseSctpEndpoints_corruptPort_refusedWithLineNumber() throws IOException {
    String text = sample("eps-malformed.txt");
    assertThatThrownBy(() -> ProcNetParser.parseSctpEndpoints(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("line 2:");
  }

  static String sample(String name) throws IOException {
    try (InputStream in = ProcNetParserTest.class.getResourceAsStream("/harden/sctp/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
