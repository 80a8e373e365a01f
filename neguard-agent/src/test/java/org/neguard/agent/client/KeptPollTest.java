package org.neguard.agent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neguard.pki.CertificateIssuer;

/**
 * The load generator's kept poll ({@link KeptPoll}) against an HTTPS server that requires the
 * device's certificate: the same protocol as {@link DeviceClient#poll}, on one connection.
 */
class KeptPollTest {
  static final String ETAG = "\"0123456789abcdef0123456789abcdef\"";
  HttpsServer server;
  KeyPair caKey;
  X509Certificate ca;
  final List<Integer> ports = new CopyOnWriteArrayList<>();
  final List<String> clients = new CopyOnWriteArrayList<>();
  final List<String> hosts = new CopyOnWriteArrayList<>();
  volatile boolean closeAfter;
  volatile int refuse;

  @BeforeEach
  void start() throws Exception {
    caKey = DeviceIdentity.newKeyPair();
    ca = CertificateIssuer.forSubject("CN=Test Device CA", caKey.getPublic()).ca()
        .selfSigned(caKey.getPrivate());
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    SSLContext context = DeviceClientTest.agentsPort(caKey, ca, tmf.getTrustManagers());
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context) {
      @Override
      public void configure(HttpsParameters p) {
        SSLParameters s = context.getDefaultSSLParameters();
        s.setNeedClientAuth(true); // as the agents' port: no poll without a device certificate
        p.setSSLParameters(s);
      }
    });
    server.createContext("/api/device/v1/poll", ex -> {
      ports.add(ex.getRemoteAddress().getPort());
      hosts.add(ex.getRequestHeaders().getFirst("Host"));
      clients.add(((X509Certificate) ((HttpsExchange) ex).getSSLSession()
          .getPeerCertificates()[0]).getSubjectX500Principal().getName());
      if (closeAfter) {
        ex.getResponseHeaders().set("Connection", "close");
      }
      if (refuse != 0) {
        byte[] problem = ("{\"verdict\":\"fail\",\"reasons\":[{\"code\":\"DEVICE_DISABLED\","
            + "\"message\":\"device dev-1 is disabled\"}]}").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(refuse, problem.length);
        ex.getResponseBody().write(problem);
      } else if (ETAG.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
        ex.getResponseHeaders().set("ETag", ETAG);
        ex.sendResponseHeaders(304, -1);
      } else {
        ex.getResponseHeaders().set("ETag", ETAG);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, 0); // chunked
        ex.getResponseBody().write("{\"renewCertificate\":true,\"pollAfterSeconds\":30,\"new\":1}"
            .getBytes(StandardCharsets.UTF_8));
      }
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  DeviceClient client(String host) {
    KeyPair pair = DeviceIdentity.newKeyPair();
    X509Certificate cert = CertificateIssuer.forSubject("CN=dev-1", pair.getPublic())
        .clientAuth().issuedBy(ca, caKey.getPrivate());
    return DeviceClient.of(URI.create("https://" + host + ":" + server.getAddress().getPort()),
        new DeviceIdentity("dev-1", pair, cert, ca));
  }

  @Test
  void polls_onOneConnection_withTheDeviceCertificate_200Then304() throws Exception {
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      DeviceClient.PollAnswer first = p.poll(null);
      assertThat(first.changed()).isTrue();
      assertThat(first.etag()).isEqualTo(ETAG);
      assertThat(first.poll().renewCertificate()).isTrue();
      assertThat(first.poll().pollAfterSeconds()).isEqualTo(30);
      for (int i = 0; i < 3; i++) {
        DeviceClient.PollAnswer again = p.poll(first.etag());
        assertThat(again.changed()).isFalse();
        assertThat(again.etag()).isEqualTo(ETAG);
      }
    }
    assertThat(ports).hasSize(4).containsOnly(ports.get(0));
    assertThat(clients).containsOnly("CN=dev-1");
    assertThat(hosts).containsOnly("127.0.0.1:" + server.getAddress().getPort());
  }

  @Test
  void connectionClosedByTheServer_nextPollOnANewOne() throws Exception {
    closeAfter = true;
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      for (int i = 0; i < 3; i++) {
        assertThat(p.poll(ETAG).changed()).isFalse();
      }
    }
    assertThat(ports).hasSize(3).doesNotHaveDuplicates();
  }

  @Test
  void refusal_isTheServersProblem() throws Exception {
    refuse = 403;
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class, () -> p.poll(ETAG));
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.code()).isEqualTo("DEVICE_DISABLED");
    }
  }

  /** As HttpsURLConnection: the agents' certificate must name the host polled (127.0.0.1 only). */
  @Test
  void serverCertificate_notNamingTheHost_refused() throws Exception {
    try (KeptPoll p = KeptPoll.of(client("localhost"))) {
      IOException e = catchThrowableOfType(IOException.class, () -> p.poll(ETAG));
      assertThat(e).isInstanceOf(SSLHandshakeException.class);
    }
    assertThat(ports).isEmpty();
  }
}
