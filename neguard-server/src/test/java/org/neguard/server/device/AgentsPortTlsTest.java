package org.neguard.server.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.client.DeviceIdentity;
import org.neguard.server.TestServer;

/** The agents' port speaks TLS 1.3 and 1.2, nothing older (OBJ-1). */
class AgentsPortTlsTest {
  static TestServer s;
  static SSLContext trustingDeviceCa;

  @BeforeAll
  static void start() throws Exception {
    s = TestServer.start();
    X509Certificate ca = DeviceIdentity.certificate(
        TestDevice.token(s, java.util.Map.of()).path("caCertificate").asText());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("device-ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    trustingDeviceCa = SSLContext.getInstance("TLS");
    trustingDeviceCa.init(null, tmf.getTrustManagers(), null);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  private static String handshake(String protocol) throws IOException {
    try (SSLSocket socket = (SSLSocket) trustingDeviceCa.getSocketFactory().createSocket(
        "127.0.0.1", s.server.deviceUrl().getPort())) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.startHandshake();
      return socket.getSession().getProtocol();
    }
  }

  @Test
  @DisplayName("OBJ-1 the agents' port accepts TLS 1.3 and TLS 1.2 and refuses TLS 1.1")
  void agentsPort_tls13And12Accepted_tls11Refused() throws Exception {
    assertThat(handshake("TLSv1.3")).isEqualTo("TLSv1.3");
    assertThat(handshake("TLSv1.2")).isEqualTo("TLSv1.2");
    // The JDK's client disables TLS 1.1 by default too; either side refusing is a refusal.
    assertThatThrownBy(() -> handshake("TLSv1.1")).isInstanceOf(IOException.class);
  }
}
