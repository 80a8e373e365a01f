package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code sim agents} options refused before anything is enrolled or sent. */
class SimAgentsUsageTest {
  @Test
  void warmup_withUntilIdle_refusedAsUsage() {
    // Port 9 on loopback: nothing listens there, and the options are refused before any request.
    CliRun r = CliRun.of("sim", "agents", "--server", "http://127.0.0.1:9", "--count", "1",
        "--warmup", "5s", "--until-idle");
    assertThat(r.exit()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains("--warmup", "--until-idle");
  }
}
