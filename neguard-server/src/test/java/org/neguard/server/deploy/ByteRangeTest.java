package org.neguard.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range headers, maintenance windows and wave plans: the engine's small pure parts. */
class ByteRangeTest {
  @Test
  void parse_eachFormOfOneRange() {
    assertThat(ByteRange.parse("bytes=10-", 100)).isEqualTo(new ByteRange(10, 99));
    assertThat(ByteRange.parse("bytes=10-19", 100)).isEqualTo(new ByteRange(10, 19));
    assertThat(ByteRange.parse("bytes=90-500", 100)).isEqualTo(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-30", 100)).isEqualTo(new ByteRange(70, 99));
    assertThat(ByteRange.parse("bytes=-300", 100)).isEqualTo(new ByteRange(0, 99));
  }

  @Test
  void parse_pastTheEnd_isUnsatisfiable() {
    assertThat(ByteRange.parse("bytes=100-", 100)).isSameAs(ByteRange.UNSATISFIABLE);
    assertThat(ByteRange.parse("bytes=-0", 100)).isSameAs(ByteRange.UNSATISFIABLE);
  }

  @Test
  void parse_noneOrNotServedAsARange_isTheWholeFile() {
    for (String h : new String[] {null, "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-",
        "bytes=a-b"}) {
      assertThat(ByteRange.parse(h, 100)).as(h).isNull();
    }
  }

  @Test
  void maintenanceWindow_wrapsMidnight() {
    MaintenanceWindow w = MaintenanceWindow.parse("22:00-02:00");
    assertThat(w.contains(Instant.parse("2026-01-01T21:59:59Z"))).isFalse();
    assertThat(w.contains(Instant.parse("2026-01-01T22:00:00Z"))).isTrue();
    assertThat(w.contains(Instant.parse("2026-01-02T01:59:59Z"))).isTrue();
    assertThat(w.contains(Instant.parse("2026-01-02T02:00:00Z"))).isFalse();
    assertThat(w.endOf(Instant.parse("2026-01-01T23:00:00Z")))
        .isEqualTo(Instant.parse("2026-01-02T02:00:00Z"));
    assertThat(w.endOf(Instant.parse("2026-01-02T01:00:00Z")))
        .isEqualTo(Instant.parse("2026-01-02T02:00:00Z"));
    MaintenanceWindow day = MaintenanceWindow.parse("09:00-17:00");
    assertThat(day.contains(Instant.parse("2026-01-01T12:00:00Z"))).isTrue();
    assertThat(day.contains(Instant.parse("2026-01-01T17:00:00Z"))).isFalse();
  }

  @Test
  void wavePlan_countsPercentagesAndTheRest() {
    assertThat(WavePlan.sizes(null, 7)).containsExactly(7);
    assertThat(WavePlan.sizes(List.of("1", "50%"), 10)).containsExactly(1, 9);
    assertThat(WavePlan.sizes(List.of("1", "10%", "1"), 25)).containsExactly(1, 3, 21);
    assertThat(WavePlan.sizes(List.of("5", "5", "5"), 6)).containsExactly(5, 1);
  }
}
