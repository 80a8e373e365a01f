package org.neguard.harden;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.neguard.json.StrictJson;

/**
 * The observation's JSON is written field by field with Jackson's streaming generator (the NE
 * agent sends it and does not load the data binding): the same document the data binding wrote
 * with the strict mapper's settings, byte for byte, and read back by the strict reader into an
 * equal observation.
 */
class ObservationCodecTest {
  /** How the codec wrote before: the strict mapper, instants as text, indented. */
  private static final ObjectMapper BINDING =
      StrictJson.builder().addModule(StrictJson.instants()).build();

  private static final Instant T0 = Instant.parse("2026-12-06T08:00:00Z");

  private static ObservedPort port(int n, ProcessInfo process, List<SnmpAccess> snmp,
      String cpe) {
    return new ObservedPort(Transport.values()[n % 3], n % 2 == 0 ? "0.0.0.0" : "::1", 1000 + n,
        PortState.values()[n % PortState.values().length], n % 4 == 0 ? null : "svc-" + n,
        n % 3 == 0 ? null : "evidence \"" + n + "\" \u00e9\u2028\t<", process, snmp, cpe);
  }

  private static Observation rich(Map<String, String> parameters) {
    return new Observation("inventory", "ne-1.example", "agent", null, T0,
        T0.plusMillis(1234), false, parameters,
        List.of(port(0, null, List.of(), null),
            port(1, new ProcessInfo(4242, "mme \uD83D\uDE00", "/opt/mme/bin/mme", "mme"),
                List.of(new SnmpAccess("2c", "public", SnmpAccess.Access.READ, null),
                    new SnmpAccess("1", "private", SnmpAccess.Access.WRITE, "set sysContact")),
                "cpe:2.3:a:vendor:mme:2.1:*:*:*:*:*:*:*"),
            port(2, new ProcessInfo(1, "init", null, null), List.of(), null)),
        List.of("sockets of other users left out", "\u0000 control"),
        List.of(new ProtocolProbe("ssh", Transport.TCP, 22, "1", "SSH-1.5 hello",
            ProtocolProbe.Result.REFUSED, null),
            new ProtocolProbe("snmp", Transport.UDP, 161, "v1", "get sysDescr",
                ProtocolProbe.Result.SERVED, "answered")),
        "0123456789abcdef0123456789abcdef");
  }

  @Test
  void encode_isWhatTheDataBindingWrote_byteForByte() throws Exception {
    for (Observation o : List.of(rich(Map.of("interface.eth0", "10.0.0.1")),
        new Observation("inventory", "h", null, null, T0, T0, true, Map.of(), List.of(),
            List.of()))) {
      byte[] before = (BINDING.writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
      assertThat(new String(ObservationCodec.encode(o), StandardCharsets.UTF_8))
          .isEqualTo(new String(before, StandardCharsets.UTF_8));
    }
  }

  @Test
  void encode_manyParameters_inKeyOrder_readBackEqual() throws Exception {
    Map<String, String> parameters = Map.of("interface.eth1", "10.0.0.2", "interface.eth0",
        "10.0.0.1", "interfaces", "eth0,eth1", "a", "");
    Observation o = rich(parameters);
    byte[] json = ObservationCodec.encode(o);
    assertThat(ObservationCodec.decode(json)).isEqualTo(o);
    assertThat(BINDING.readTree(json)).isEqualTo(BINDING.readTree(BINDING.writeValueAsBytes(o)));
    String text = new String(json, StandardCharsets.UTF_8);
    assertThat(text.indexOf("\"a\"")).isLessThan(text.indexOf("\"interface.eth0\""));
    assertThat(text.indexOf("\"interface.eth0\"")).isLessThan(text.indexOf("\"interfaces\""));
  }
}
