package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.server.ServerConfig;

/**
 * When the scheduler asks an NE next (OBJ-2; docs/ATTESTATION.md, "Trust states"): at the
 * interval while it is trusted or newly enrolled, at the untrusted interval once it is not
 * trusted, never more often than the interval. The rounds that write it: {@code
 * AttestationCases.notTrusted_askedAtTheUntrustedInterval_trustedAgainAtTheInterval}.
 */
@DisplayName("OBJ-2 the next attestation of an NE by its trust state")
class NextAttestationTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final ServerConfig.Attest CONFIG = new ServerConfig.Attest(
      Duration.ofMinutes(5), Duration.ZERO, Duration.ofMinutes(2), Duration.ofSeconds(2), 2);

  private static Duration after(ServerConfig.Attest config, String trust, Instant enrolledAt) {
    return Duration.between(NOW,
        AttestationScheduler.next(config, trust, enrolledAt, NOW, new Random(1)));
  }

  @Test
  void next_byTrustState_untrustedIntervalOnlyForNesNotTrusted() {
    Instant longAgo = NOW.minus(Duration.ofDays(2));
    assertThat(after(CONFIG, Pve.TRUSTED, longAgo)).isEqualTo(Duration.ofMinutes(5));
    assertThat(after(CONFIG, Pve.QUARANTINED, longAgo)).isEqualTo(Duration.ofHours(1));
    assertThat(after(CONFIG, Pve.UNTRUSTED, longAgo)).isEqualTo(Duration.ofHours(1));
    assertThat(after(CONFIG, Pve.UNKNOWN, longAgo)).as("unknown for two days")
        .isEqualTo(Duration.ofHours(1));
    assertThat(after(CONFIG, Pve.UNKNOWN, NOW.minus(Duration.ofMinutes(59))))
        .as("enrolled within the hour").isEqualTo(Duration.ofMinutes(5));
    assertThat(after(CONFIG, Pve.UNKNOWN, null)).as("enrollment not known")
        .isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void next_untrustedIntervalShorterThanTheInterval_theInterval() {
    ServerConfig.Attest slow = new ServerConfig.Attest(Duration.ofHours(2), Duration.ZERO,
        Duration.ofMinutes(2), Duration.ofSeconds(2), 2);
    assertThat(slow.untrustedInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(after(slow, Pve.QUARANTINED, null)).isEqualTo(Duration.ofHours(2));
    assertThat(after(CONFIG.withUntrustedInterval(Duration.ofMinutes(30)), Pve.QUARANTINED,
        null)).isEqualTo(Duration.ofMinutes(30));
  }

  @Test
  void config_durationsBeyondAYear_refused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CONFIG.withUntrustedInterval(
            Duration.ofDays(366)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 365 days");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ServerConfig.Attest(
            Duration.ofDays(999_999_999), Duration.ZERO, Duration.ofMinutes(2),
            Duration.ofSeconds(2), 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 365 days");
    assertThat(CONFIG.withUntrustedInterval(Duration.ofDays(365)).untrustedEvery())
        .isEqualTo(Duration.ofDays(365));
  }

  @Test
  void next_withJitter_withinIt() {
    ServerConfig.Attest jittered = new ServerConfig.Attest(Duration.ofMinutes(5),
        Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofSeconds(2), 2);
    assertThat(after(jittered, Pve.QUARANTINED, null))
        .isBetween(Duration.ofHours(1), Duration.ofMinutes(61));
  }
}
