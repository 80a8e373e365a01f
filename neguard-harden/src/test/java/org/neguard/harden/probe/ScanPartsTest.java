package org.neguard.harden.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.neguard.testing.FakePeer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.PortState;
import org.snmp4j.PDU;
import org.snmp4j.asn1.BERInputStream;
import org.snmp4j.smi.Integer32;
import org.snmp4j.smi.OctetString;

/** The scanner's parts on their own: port lists, payloads, banner rules, and a loopback sweep. */
class ScanPartsTest {
  @Test
  @DisplayName("HRD-3: addresses of the target the scan did not examine are named, none for a literal")
  void otherAddresses_namesWhatTheScanLeftOut() throws Exception {
    java.net.InetAddress loop = java.net.InetAddress.getByName("127.0.0.1");
    assertThat(HardenScanner.otherAddresses("127.0.0.1", loop)).isEmpty();
    assertThat(HardenScanner.otherAddresses("127.0.0.1",
        java.net.InetAddress.getByName("127.0.0.2"))).containsExactly("127.0.0.1");
  }

  @Test
  void portList_rangesAndSingles() {
    PortList p = PortList.parse("22, 80,8000-8002");
    assertThat(p.toArray()).containsExactly(22, 80, 8000, 8001, 8002);
    assertThat(PortList.all().size()).isEqualTo(65535);
  }

  @Test
  void portList_badElements_refusedNamingThem() {
    assertThatThrownBy(() -> PortList.parse("0-10")).hasMessage("port out of range 1..65535: 0");
    assertThatThrownBy(() -> PortList.parse("65536")).hasMessage("port out of range 1..65535: 65536");
    assertThatThrownBy(() -> PortList.parse("90-80")).hasMessageContaining("reversed port range '90-80'");
    assertThatThrownBy(() -> PortList.parse("22,,80")).hasMessageContaining("empty element");
    assertThatThrownBy(() -> PortList.parse("ssh")).hasMessageContaining("not a port number: 'ssh'");
    assertThatThrownBy(() -> PortList.parse(" ")).hasMessageContaining("empty");
  }

  @Test
  void udpTop_ordersSnmpTftpRpcFirst_andBounds() {
    assertThat(ScanOptions.udpTop(4).toArray()).containsExactly(69, 111, 161, 2049);
    assertThat(ScanOptions.udpTop(0).size()).isZero();
    assertThatThrownBy(() -> ScanOptions.udpTop(41)).hasMessageContaining("--udp-top out of range");
  }

  @Test
  @DisplayName("The SNMP UDP probe is a valid SNMPv2c GetRequest for sysDescr.0 (decoded by SNMP4J)")
  void snmpProbe_decodesAsV2cGet() throws Exception {
    byte[] b = UdpPayloads.snmpGetSysDescr("public");
    BERInputStream in = new BERInputStream(ByteBuffer.wrap(b));
    org.snmp4j.asn1.BER.MutableByte type = new org.snmp4j.asn1.BER.MutableByte();
    org.snmp4j.asn1.BER.decodeHeader(in, type);
    Integer32 version = new Integer32();
    version.decodeBER(in);
    OctetString community = new OctetString();
    community.decodeBER(in);
    PDU pdu = new PDU();
    pdu.decodeBER(in);
    assertThat(version.getValue()).isEqualTo(1);
    assertThat(community.toString()).isEqualTo("public");
    assertThat(pdu.getType()).isEqualTo(PDU.GET);
    assertThat(pdu.get(0).getOid().toDottedString()).isEqualTo("1.3.6.1.2.1.1.1.0");
  }

  @Test
  void rpc_nullCallAndReplyParsing() {
    byte[] call = Rpc.call(0x1234, Rpc.NFS, 3, 0);
    ByteBuffer b = ByteBuffer.wrap(call);
    assertThat(b.getInt()).isEqualTo(0x1234);
    assertThat(b.getInt()).isZero(); // CALL
    assertThat(b.getInt()).isEqualTo(2); // RPC version
    assertThat(b.getInt()).isEqualTo(Rpc.NFS);
    byte[] reply = ByteBuffer.allocate(24).putInt(0x1234).putInt(1).putInt(0).putInt(0).putInt(0).putInt(0).array();
    assertThat(Rpc.acceptStatus(reply, 0, reply.length, 0x1234)).isZero();
    assertThat(Rpc.acceptStatus(reply, 0, reply.length, 0x9999)).isEqualTo(-1);
    byte[] dump = ByteBuffer.allocate(24 + 4 + 16 + 4).putInt(7).putInt(1).putInt(0).putInt(0).putInt(0).putInt(0)
        .putInt(1).putInt(100003).putInt(3).putInt(6).putInt(2049).putInt(0).array();
    assertThat(Rpc.parseDump(dump, 0, dump.length, 7)).containsExactly(new Rpc.Mapping(100003, 3, 6, 2049));
  }

  @Test
  void banners_identifyProtocols_notPorts() {
    assertThat(TcpServiceProbe.fromBanner(2222, bytes("SSH-2.0-OpenSSH_9.2\r\n")).service()).isEqualTo("ssh");
    assertThat(TcpServiceProbe.fromBanner(21, bytes("220 host FTP server ready.\r\n")).service()).isEqualTo("ftp");
    assertThat(TcpServiceProbe.fromBanner(25, bytes("220 mx ESMTP Postfix\r\n")).service()).isEqualTo("smtp");
    assertThat(TcpServiceProbe.fromBanner(4023, new byte[] {(byte) 0xff, (byte) 0xfd, 0x18}).service()).isEqualTo("telnet");
    assertThat(TcpServiceProbe.fromBanner(80, bytes("hello\r\n"))).isNull();
  }

  @Test
  void smb2Negotiate_wellFormed() {
    byte[] m = TcpServiceProbe.smb2Negotiate();
    assertThat(ByteBuffer.wrap(m).getInt()).isEqualTo(m.length - 4);
    assertThat(new String(m, 5, 3, StandardCharsets.US_ASCII)).isEqualTo("SMB");
    assertThat(m[4] & 0xff).isEqualTo(0xfe);
  }

  @Test
  @DisplayName("HRD-3: a loopback sweep reports the listener open and a closed port closed, nothing else")
  void tcpScan_loopback_openAndClosed() throws Exception {
    try (ServerSocket open = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        ServerSocket gone = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int closedPort = gone.getLocalPort();
      gone.close();
      TcpConnectScanner.Result r = TcpConnectScanner.scanParallel(InetAddress.getByName("127.0.0.1"),
          new int[] {open.getLocalPort(), closedPort}, 2, 16, Duration.ofMillis(1000), 1, () -> false, ScanListener.NONE);
      assertThat(r.state[open.getLocalPort()]).isEqualTo(PortState.OPEN);
      assertThat(r.state[closedPort]).isEqualTo(PortState.CLOSED);
      assertThat(r.open).isEqualTo(1);
      assertThat(r.closed).isEqualTo(1);
      assertThat(r.unreachable).isNull();
    }
  }

  @Test
  @DisplayName("HRD-3: an IPv6 target is scanned over IPv6 (::1), and identified")
  void scan_ipv6Loopback_openAndIdentified() throws Exception {
    try (FakePeer open = FakePeer.on(InetAddress.getByName("::1"),
        n -> s -> FakePeer.write(s, "220 ipv6 FTP ready\r\n"))) {
      org.neguard.harden.Observation o = HardenScanner.create(ScanOptions.defaults()
          .withTcpPorts(PortList.of(open.port())).withUdpPorts(PortList.none())
          .withSctpPorts(PortList.none()), ScanListener.NONE).scan("::1");
      assertThat(o.complete()).isTrue();
      assertThat(o.ports()).singleElement().satisfies(p -> {
        assertThat(p.state()).isEqualTo(PortState.OPEN);
        assertThat(p.service()).isEqualTo("ftp");
        assertThat(p.address()).isEqualTo("0:0:0:0:0:0:0:1");
      });
    }
  }

  @Test
  void options_badValues_refused() {
    ScanOptions d = ScanOptions.defaults();
    assertThatThrownBy(() -> d.withTcpTiming(0, Duration.ofMillis(1), 1)).hasMessage("concurrency out of range 1..16384: 0");
    assertThatThrownBy(() -> d.withTcpTiming(1, Duration.ZERO, 1)).hasMessageContaining("timeout not positive");
    assertThatThrownBy(() -> d.withTcpTiming(1, Duration.ofMillis(1), 32768)).hasMessage("TCP retries out of range 0..32767: 32768");
    assertThat(d.withTcpTiming(1, Duration.ofMillis(1), 32767).tcpRetries()).isEqualTo(32767);
    assertThatThrownBy(() -> d.withCommunities(List.of(""))).hasMessage("empty SNMP community");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

}
