package org.neguard.harden.nmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.policy.Baseline;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Hostile nmap files: damage is BAD_INPUT or an observation, never a crash (HRD-3). */
class NmapXmlMutationTest {
  static final String SAMPLE = """
      <?xml version="1.0" encoding="UTF-8"?>
      <!DOCTYPE nmaprun>
      <nmaprun scanner="nmap" args="nmap -sT -p 22,23 -oX x.xml 192.0.2.7" start="1795433859" version="7.93" xmloutputversion="1.05">
      <scaninfo type="connect" protocol="tcp" numservices="2" services="22-23"/>
      <host starttime="1795433859" endtime="1795433860"><status state="up" reason="user-set"/>
      <address addr="192.0.2.7" addrtype="ipv4"/>
      <ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/><service name="ssh" product="OpenSSH" version="9.2p1" method="probed" conf="10"/></port>
      <port protocol="tcp" portid="23"><state state="closed" reason="conn-refused"/></port>
      </ports></host>
      <runstats><finished time="1795433860" exit="success"/><hosts up="1" down="0" total="1"/></runstats>
      </nmaprun>
      """;

  @Test
  @DisplayName("HRD-3: the sample imports, and survives a JSON round trip for --inventory")
  void read_sample_roundTrips() throws Exception {
    Observation o = NmapXmlImporter.read(SAMPLE.getBytes(StandardCharsets.UTF_8), "192.0.2.7",
        Baseline.ports());
    assertThat(o.complete()).isTrue();
    assertThat(o.scanner()).isNull();
    assertThat(ObservationCodec.decode(ObservationCodec.encode(o))).isEqualTo(o);
  }

  @Test
  @DisplayName("bad input: 1500 mutations of nmap XML give BAD_INPUT or an observation")
  void read_mutations_onlyBadInput() {
    byte[] good = SAMPLE.getBytes(StandardCharsets.UTF_8);
    Random random = new Random(7L);
    int refused = 0;
    for (int i = 0; i < 1500; i++) {
      byte[] b = good.clone();
      for (int e = 0, n = 1 + random.nextInt(3); e < n; e++) {
        int at = random.nextInt(b.length);
        b[at] = switch (random.nextInt(3)) {
          case 0 -> (byte) random.nextInt(256);
          case 1 -> (byte) "<>&\"'=/-!;[]%".charAt(random.nextInt(13));
          default -> (byte) ('0' + random.nextInt(10));
        };
      }
      try {
        NmapXmlImporter.read(b, "192.0.2.7", Baseline.ports());
      } catch (RefusalException ex) {
        refused++;
        assertThat(ex.code()).isEqualTo(ReasonCode.BAD_INPUT);
      } catch (RuntimeException ex) {
        throw new AssertionError("mutation " + i + " crashed the importer: "
            + new String(b, StandardCharsets.ISO_8859_1), ex);
      }
    }
    assertThat(refused).isGreaterThan(150);
  }

  @Test
  @DisplayName("an nmap run that ended in error, or a host reported down, is incomplete")
  void read_errorExitOrHostDown_incomplete() throws Exception {
    Observation error = NmapXmlImporter.read(SAMPLE.replace("exit=\"success\"",
        "exit=\"error\" errormsg=\"pcap failure\"").getBytes(StandardCharsets.UTF_8),
        "192.0.2.7", Baseline.ports());
    assertThat(error.complete()).isFalse();
    assertThat(error.notes()).anySatisfy(n -> assertThat(n).contains("exit='error'",
        "pcap failure"));
    Observation down = NmapXmlImporter.read(SAMPLE.replace("state=\"up\" reason=\"user-set\"",
        "state=\"down\" reason=\"no-response\"").getBytes(StandardCharsets.UTF_8),
        "192.0.2.7", Baseline.ports());
    assertThat(down.complete()).isFalse();
    assertThat(down.notes()).anySatisfy(n -> assertThat(n).contains("down"));
  }
}
