package org.neguard.harden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.verdict.RefusalException;

/** HRD-3: an observed port's optional CPE in the observation's JSON. */
class ObservationCpeTest {
  static Observation observation(ObservedPort... ports) {
    return new Observation("scan", "192.0.2.7", "oam", "NEGuard 0.1.0",
        Instant.parse("2026-12-04T10:00:00Z"), Instant.parse("2026-12-04T10:01:00Z"), true,
        Map.of(), List.of(ports), List.of());
  }

  @Test
  @DisplayName("HRD-3: a port's CPE round-trips; a port without one is written without the"
      + " field (readers deployed before it still read it) and reads back as null")
  void codec_cpe_optionalAndRoundTrips() throws Exception {
    ObservedPort ssh = new ObservedPort(Transport.TCP, "192.0.2.7", 22, PortState.OPEN, "ssh",
        "banner SSH-2.0-OpenSSH_9.2p1", null, List.of(),
        "cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*");
    ObservedPort plain = new ObservedPort(Transport.TCP, "192.0.2.7", 80, PortState.OPEN, null,
        null, null, List.of());
    Observation o = observation(ssh, plain);
    byte[] json = ObservationCodec.encode(o);
    String text = new String(json, StandardCharsets.UTF_8);
    assertThat(text).containsOnlyOnce("\"cpe\"");
    assertThat(ObservationCodec.decode(json)).isEqualTo(o);
    assertThat(ObservationCodec.decode(json).ports().get(1).cpe()).isNull();
  }

  @Test
  @DisplayName("HRD-3, HRD-6: the raw port list of the evidence shows a port's CPE")
  void evidence_rawPortShowsCpe() {
    ObservedPort ssh = new ObservedPort(Transport.TCP, "192.0.2.7", 22, PortState.OPEN, "ssh",
        null, null, List.of(), "cpe:/a:openbsd:openssh:9.2p1");
    assertThat(org.neguard.harden.report.EvidenceJson.diff(
        org.neguard.harden.eval.ObservationDiff.of(observation(), observation(ssh))).toString())
        .contains("cpe:/a:openbsd:openssh:9.2p1");
  }

  @Test
  @DisplayName("HRD-3: an observation written before ports had a CPE still reads; other missing"
      + " fields are still refused, and a cpe that is no CPE name is refused")
  void codec_oldAndBadForms() throws Exception {
    String old = """
        {"source":"scan","host":"h","scanner":null,"tool":null,
         "started":"2026-12-04T10:00:00Z","finished":"2026-12-04T10:01:00Z","complete":true,
         "parameters":{},"ports":[{"transport":"TCP","address":"h","port":22,"state":"OPEN",
         "service":"ssh","evidence":null,"process":null,"snmp":[]}],"notes":[]}
        """;
    assertThat(ObservationCodec.decode(old.getBytes(StandardCharsets.UTF_8)).ports().get(0)
        .cpe()).isNull();
    String noService = old.replace("\"service\":\"ssh\",", "");
    assertThatThrownBy(() -> ObservationCodec.decode(noService.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(RefusalException.class).hasMessageContaining("service");
    String badCpe = old.replace("\"snmp\":[]", "\"snmp\":[],\"cpe\":\"openssh 9.2\"");
    assertThatThrownBy(() -> ObservationCodec.decode(badCpe.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(RefusalException.class).hasMessageContaining("cpe");
  }
}
