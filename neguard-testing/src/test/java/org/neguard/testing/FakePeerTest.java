package org.neguard.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fake peer's count of accepted connections, which tests use to show a client stayed away. */
class FakePeerTest {
  @Test
  void awaitAccepted_noClient_falseAfterTimeout() throws Exception {
    try (FakePeer peer = FakePeer.always(FakePeer.HANG_UP)) {
      assertThat(peer.awaitAccepted(1, Duration.ofMillis(200))).isFalse();
    }
  }

  @Test
  void awaitAccepted_countsEachConnection() throws Exception {
    try (FakePeer peer = FakePeer.always(FakePeer.HANG_UP)) {
      try (Socket a = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
        assertThat(peer.awaitAccepted(1, Duration.ofSeconds(10))).isTrue();
        assertThat(peer.awaitAccepted(2, Duration.ofMillis(200))).isFalse();
      }
      try (Socket b = new Socket(InetAddress.getLoopbackAddress(), peer.port())) {
        assertThat(peer.awaitAccepted(2, Duration.ofSeconds(10))).isTrue();
      }
    }
  }
}
