package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.Sha256;

/**
 * The published event-log vectors (docs/measurement-vectors.json, {@code eventLogs}, computed by
 * another implementation: Python's hashlib and struct) against {@link EventLog}: the bytes read
 * and written, each event's extended value, every replay step, the PCR and the quote's PCR
 * digest, the latest components. The TPM itself checks the replay in TpmEventLogTest.
 */
class EventLogVectorsTest {
  static JsonNode vector() throws Exception {
    Path file = Path.of("").toAbsolutePath().getParent().resolve("docs/measurement-vectors.json");
    assertThat(file).as("run from the module directory, as Maven does").exists();
    return new ObjectMapper().readTree(file.toFile()).path("eventLogs").path(0);
  }

  @Test
  @DisplayName("ATT-4 the published event log: its bytes, extends, replay, PCR and latest"
      + " components are what EventLog computes")
  void vectors_matchEventLog() throws Exception {
    JsonNode v = vector();
    HexFormat hex = HexFormat.of();
    byte[] bytes = hex.parseHex(v.path("bytes").asText());
    EventLog log = EventLog.parse(bytes);
    assertThat(log.pcr()).isEqualTo(v.path("pcr").asInt());
    assertThat(log.resetCount()).isEqualTo(v.path("resetCount").asLong());
    assertThat(log.restartCount()).isEqualTo(v.path("restartCount").asLong());
    assertThat(log.bytes()).isEqualTo(bytes);
    assertThat(log.events()).hasSize(v.path("events").size());
    byte[] pcr = new byte[32];
    List<String> steps = new ArrayList<>(List.of(hex.formatHex(pcr)));
    for (int i = 0; i < log.events().size(); i++) {
      JsonNode e = v.path("events").path(i);
      EventLog.Event ev = log.events().get(i);
      assertThat(ev.sequence()).isEqualTo(e.path("sequence").asLong());
      assertThat(ev.kind().name()).isEqualTo(e.path("kind").asText());
      assertThat(ev.name()).isEqualTo(e.path("name").asText());
      assertThat(ev.digest()).isEqualTo(e.path("digest").asText());
      assertThat(hex.formatHex(ev.extended())).isEqualTo(e.path("extended").asText());
      pcr = PlatformTim.extend(pcr, ev.extended());
      steps.add(hex.formatHex(pcr));
    }
    List<String> published = new ArrayList<>();
    v.path("steps").forEach(s -> published.add(s.asText()));
    assertThat(steps).isEqualTo(published);
    assertThat(hex.formatHex(log.replay())).isEqualTo(v.path("pcrValue").asText());
    assertThat(Sha256.hex(log.replay())).isEqualTo(v.path("quotePcrDigest").asText());
    List<PlatformTim.Component> latest = new ArrayList<>();
    v.path("latest").forEach(c -> latest.add(new PlatformTim.Component(c.path("name").asText(),
        c.path("digest").asText(), PlatformTim.Reference.valueOf(c.path("reference")
            .asText()))));
    assertThat(log.latest()).isEqualTo(latest);
  }
}
