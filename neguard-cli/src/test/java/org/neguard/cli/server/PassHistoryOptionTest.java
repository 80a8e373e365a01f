package org.neguard.cli.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.neguard.server.ServerConfig;
import picocli.CommandLine;

/**
 * {@code --attest-pass-history} as the server gets it (docs/ATTESTATION.md, "History"); the
 * refusals are ServerCliTest's, through the whole command.
 */
class PassHistoryOptionTest {
  private static Optional<Duration> parsed(String... args) {
    ServerCommand c = new ServerCommand();
    CommandLine cl = new CommandLine(c);
    cl.parseArgs(args);
    return ServerLauncher.passHistory(cl, c);
  }

  @Test
  void passHistory_defaultForeverAndADuration_asTheServerGetsThem() {
    assertThat(parsed("--data", "d")).contains(ServerConfig.Attest.DEFAULT_PASS_HISTORY)
        .contains(Duration.ofDays(30));
    assertThat(parsed("--data", "d", "--attest-pass-history", "forever")).isEmpty();
    assertThat(parsed("--data", "d", "--attest-pass-history", "Forever")).isEmpty();
    assertThat(parsed("--data", "d", "--attest-pass-history", "36h"))
        .contains(Duration.ofHours(36));
  }
}
