package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The agent process's default TLS factory ({@link NoDefaultTls}, set by {@code Agent.main}): a
 * connection opened without the device's own factory never leaves the process, so it can trust
 * neither the JDK's CA certificates nor anything else.
 */
@DisplayName("SRC-2 the agent's process has no default TLS trust")
class NoDefaultTlsTest {
  private SSLSocketFactory before;

  @BeforeEach
  void keepDefault() {
    before = HttpsURLConnection.getDefaultSSLSocketFactory();
  }

  @AfterEach
  void restoreDefault() {
    HttpsURLConnection.setDefaultSSLSocketFactory(before); // the other tests share this JVM
  }

  @Test
  @DisplayName("SRC-2 an HTTPS connection without the device's factory is refused before any"
      + " byte is sent")
  void connect_withoutDeviceFactory_refusedBeforeConnecting() throws Exception {
    NoDefaultTls.install();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      HttpsURLConnection c = (HttpsURLConnection) new URL("https://127.0.0.1:"
          + server.getLocalPort() + "/api/device/v1/poll").openConnection();
      c.setConnectTimeout(5_000);
      c.setReadTimeout(5_000);
      assertThat(c.getSSLSocketFactory()).isSameAs(NoDefaultTls.FACTORY);
      assertThatThrownBy(c::getResponseCode).isInstanceOf(SSLException.class)
          .hasMessageContaining("without the device's own trust")
          .hasMessageContaining("127.0.0.1:" + server.getLocalPort());
      // The JDK connects over TCP first, then layers TLS on the socket: that layering is refused
      // and the socket closed, so the server reads end of stream, never a ClientHello.
      server.setSoTimeout(5_000);
      try (Socket accepted = server.accept()) {
        accepted.setSoTimeout(5_000);
        assertThat(accepted.getInputStream().read()).as("bytes sent to the server").isEqualTo(-1);
      }
    }
  }

  @Test
  @DisplayName("SRC-2 a socket layered over an open connection is refused and the connection"
      + " closed")
  void layeredSocket_refusedAndUnderlyingClosed() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
      assertThatThrownBy(() -> NoDefaultTls.FACTORY.createSocket(plain, "oam.example.net", 8444,
          true)).isInstanceOf(SSLException.class).hasMessageContaining("oam.example.net:8444");
      assertThat(plain.isClosed()).isTrue();
    }
  }
}
