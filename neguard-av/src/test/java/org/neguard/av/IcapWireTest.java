package org.neguard.av;

import org.neguard.measure.Sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ICAP framing and the infection headers, as the gateways write them (AV-1). */
class IcapWireTest {
  private static InputStream in(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  @DisplayName("AV-1: every violation of a folded X-Violations-Found header is a threat")
  void threats_foldedViolationsWithTwoEntries_bothNames() throws Exception {
    IcapWire.Response r = IcapWire.readResponse(in("ICAP/1.0 200 OK\r\n"
        + "X-Violations-Found: 2\r\n\t-\r\n\tWin.Trojan.A\r\n\t0\r\n\t2\r\n"
        + "\tlib/x.so\r\n\tLinux.Miner.B\r\n\t0\r\n\t2\r\n"
        + "Encapsulated: null-body=0\r\n\r\n"), "RESPMOD");
    assertThat(IcapWire.threats(r.headers())).containsExactly("Win.Trojan.A", "Linux.Miner.B");
  }

  @Test
  @DisplayName("AV-1: Threat= is taken from X-Infection-Found; '-' is no threat")
  void threats_infectionFoundAndVirusId() throws Exception {
    IcapWire.Response r = IcapWire.readResponse(in("ICAP/1.0 200 OK\r\n"
        + "X-Infection-Found: Type=0; Resolution=2; Threat=Eicar-Test-Signature;\r\n"
        + "X-Virus-ID: -\r\n\r\n"), "RESPMOD");
    assertThat(IcapWire.threats(r.headers())).containsExactly("Eicar-Test-Signature");
  }

  @Test
  @DisplayName("AV-1: Encapsulated offsets that are missing, descending or huge are malformed")
  void readResponse_badEncapsulated_malformed() {
    for (String enc : new String[] {"res-hdr", "res-hdr=x", "res-hdr=50, res-body=10",
        "res-body=999999999", "res-hdr=-1"}) {
      assertThatThrownBy(() -> IcapWire.readResponse(
          in("ICAP/1.0 200 OK\r\nEncapsulated: " + enc + "\r\n\r\n"), "RESPMOD")).as(enc)
          .isInstanceOf(IcapWire.Malformed.class)
          .hasMessageContaining("bad Encapsulated header");
    }
  }

  @Test
  @DisplayName("AV-1: a chunked body is digested whole; bad sizes and overlong bodies refused")
  void readChunked_sizesChecked() throws Exception {
    java.security.MessageDigest d = Sha256.newDigest();
    assertThat(IcapWire.readChunked(in("3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"), d, 100))
        .isEqualTo(5);
    assertThat(d.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256")
        .digest("abcde".getBytes(StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> IcapWire.readChunked(in("zz\r\n"), Sha256.newDigest(), 100))
        .isInstanceOf(IcapWire.Malformed.class).hasMessageContaining("chunk size");
    assertThatThrownBy(() -> IcapWire.readChunked(in("ff\r\n"), Sha256.newDigest(), 100))
        .isInstanceOf(IcapWire.Malformed.class).hasMessageContaining("larger than 100");
    assertThatThrownBy(() -> IcapWire.readChunked(in("3\r\nabcX\r\n"), Sha256.newDigest(), 100))
        .isInstanceOf(IcapWire.Malformed.class).hasMessageContaining("CRLF");
  }
}
