package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.InstalledPackage;
import org.neguard.api.problem.ProblemReason;

@DisplayName("REC-1 the agent's crash journal: what a recovery reads is what was written")
class JournalTest {
  @TempDir Path state;

  static Journal.Entry entry() {
    return new Journal.Entry("order-1", "a.b.c", new Journal.Essentials("dep-1", "core", "2.0",
        "ab".repeat(32), 1234, Instant.parse("2026-12-04T17:00:00Z"), false),
        Journal.Phase.VERIFIED, null, null, null, null, null, null, null, false);
  }

  @Test
  @DisplayName("REC-1 every field survives a write and a read; the last write wins; no"
      + " temporary file is left")
  void writeRead_roundTrip() throws Exception {
    Journal j = new Journal(state);
    assertThat(j.read()).isEmpty();
    Journal.Entry e = entry().withSlot(state.resolve("versions/core@2.0"))
        .switching(Optional.of(state.resolve("versions/core@1.0")), Optional.empty(),
            "{\"name\":\"core\",\"version\":\"1.0\"}")
        .at(Journal.Phase.HEALTH_CHECKING);
    j.write(entry());
    j.write(e);
    assertThat(j.read()).contains(e);
    assertThat(e.phase().afterSwitch()).isTrue();
    Feedback f = new Feedback("order-1", "failed", null, List.of(new ProblemReason(
        "AGENT_INTERRUPTED", "interrupted", null)), null);
    Journal.Entry done = e.done(f);
    j.write(done);
    assertThat(j.read()).contains(done);
    assertThat(j.read().get().acked()).isFalse();
    Feedback ok = new Feedback("order-1", "succeeded", 100, List.of(),
        new InstalledPackage("core", "2.0", 2));
    j.write(done.done(ok).ack());
    assertThat(j.read().get().outcome()).isEqualTo(ok);
    assertThat(j.read().get().acked()).isTrue();
    assertThat(Journal.Phase.DONE.afterSwitch()).isFalse();
    try (var s = Files.list(state)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactly(Journal.FILE);
    }
  }

  @Test
  @DisplayName("ATT-3 REC-1 a success's evidence is journalled with the DONE outcome and read back"
      + " whole (a crash after DONE still sends it); a MEASUREMENT_MISMATCH rollback keeps its"
      + " reason code for the recovery, an old journal without one reads as HEALTH_CHECK_FAILED")
  void evidenceAndFailureCode_roundTrip() throws Exception {
    Journal j = new Journal(state);
    Feedback ok = new Feedback("order-1", "succeeded", 100, List.of(),
        new InstalledPackage("core", "2.0", 2), "eyJhbGciOiJFUzI1NiJ9.eyJ0aW0iOiIxIn0.c2ln");
    j.write(entry().done(ok));
    assertThat(j.read().get().outcome().evidence()).isEqualTo(ok.evidence());
    assertThat(j.read().get().outcome()).isEqualTo(ok);

    Journal.Entry rolling = entry().at(Journal.Phase.HEALTH_CHECKING).rollingBack(
        org.neguard.verdict.ReasonCode.MEASUREMENT_MISMATCH, "core changed (extra bin/implant)");
    j.write(rolling);
    assertThat(j.read()).contains(rolling);
    assertThat(j.read().get().failureReason())
        .isEqualTo(org.neguard.verdict.ReasonCode.MEASUREMENT_MISMATCH);
    j.write(entry().rollingBack("the health check failed"));
    assertThat(j.read().get().failureReason())
        .isEqualTo(org.neguard.verdict.ReasonCode.HEALTH_CHECK_FAILED);
    Files.writeString(j.file(), "{\"orderId\":\"o\",\"phase\":\"ROLLING_BACK\","
        + "\"failure\":\"x\"}");
    assertThat(j.read().get().failureReason())
        .isEqualTo(org.neguard.verdict.ReasonCode.HEALTH_CHECK_FAILED);
  }

  @Test
  @DisplayName("REC-1 expiry is judged at notAfter with no tolerance")
  void expiredAt_noSkew() {
    Journal.Entry e = entry();
    assertThat(e.expiredAt(Instant.parse("2026-12-04T16:59:59Z"))).isFalse();
    assertThat(e.expiredAt(Instant.parse("2026-12-04T17:00:00Z"))).isTrue();
  }

  @Test
  @DisplayName("REC-1 an unreadable journal is an error that says what to check, never an"
      + " empty journal (the agent stops rather than guess which version is whole)")
  void unreadable_failsClosed() throws IOException {
    Journal j = new Journal(state);
    Files.writeString(j.file(), "{\"orderId\":\"o\",\"phase\":\"NO_SUCH_PHASE\"}");
    assertThatThrownBy(j::read).isInstanceOf(IOException.class)
        .hasMessageContaining("unreadable").hasMessageContaining("current");
    Files.writeString(j.file(), "{not json");
    assertThatThrownBy(j::read).isInstanceOf(IOException.class);
  }
}
