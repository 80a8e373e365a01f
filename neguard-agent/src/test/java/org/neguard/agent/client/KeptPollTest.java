package org.neguard.agent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.attest.EvidenceSubmission;
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
  final List<String> evidence = new CopyOnWriteArrayList<>();
  SSLContext context;

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
    context = DeviceClientTest.agentsPort(caKey, ca, tmf.getTrustManagers());
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
    server.createContext("/api/device/v1/evidence", ex -> {
      ports.add(ex.getRemoteAddress().getPort());
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      evidence.add(ex.getRequestMethod() + " " + ex.getRequestHeaders().getFirst("Content-Type")
          + " " + body);
      if (body.contains("drop")) {
        // the connection fails under the request: no answer, the connection closed
        throw new IllegalStateException("dropped");
      }
      byte[] answer = (body.contains("judged-already")
          ? "{\"verdict\":\"fail\",\"reasons\":[{\"code\":\"CONFLICT\",\"message\":\"no"
              + " attestation is awaited from device dev-1\"}]}"
          : "{\"id\":\"att-1\",\"deviceId\":\"dev-1\",\"reason\":\"SCHEDULED\","
              + "\"result\":\"PASS\",\"trustState\":\"trusted\"}")
          .getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(body.contains("judged-already") ? 409 : 200, answer.length);
      ex.getResponseBody().write(answer);
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
  void evidence_onThePollsConnection_judgementRead() throws Exception {
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      assertThat(p.poll(null).changed()).isTrue();
      AttestationResult r = p.evidence(new EvidenceSubmission("e.y.z"));
      assertThat(r.result()).isEqualTo("PASS");
      assertThat(r.trustState()).isEqualTo("trusted");
      assertThat(p.poll(ETAG).changed()).isFalse();
    }
    // one TLS connection for the poll, its evidence and the next poll
    assertThat(ports).hasSize(3).containsOnly(ports.get(0));
    assertThat(evidence).containsExactly("POST application/json {\"evidence\":\"e.y.z\"}");
    assertThat(clients).containsOnly("CN=dev-1");
  }

  @Test
  void evidence_refused_isTheServersProblem_connectionKept() throws Exception {
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      p.poll(null);
      DeviceApiException e = catchThrowableOfType(DeviceApiException.class,
          () -> p.evidence(new EvidenceSubmission("judged-already")));
      assertThat(e.status()).isEqualTo(409);
      assertThat(e.code()).isEqualTo("CONFLICT");
      p.poll(ETAG);
    }
    assertThat(ports).hasSize(3).containsOnly(ports.get(0));
  }

  @Test
  void evidence_failedOnTheKeptConnection_notSentAgain() throws Exception {
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      p.poll(null);
      // Sent again, a copy could meet a newer challenge and be judged a replay: sent once.
      assertThat(catchThrowableOfType(IOException.class,
          () -> p.evidence(new EvidenceSubmission("drop")))).isNotNull();
      assertThat(p.poll(ETAG).changed()).isFalse();
    }
    assertThat(evidence).hasSize(1);
    assertThat(ports).hasSize(3);
    assertThat(ports.get(2)).isNotEqualTo(ports.get(0));
  }

  @Test
  void evidence_afterTheServerClosed_onANewConnection() throws Exception {
    closeAfter = true;
    try (KeptPoll p = KeptPoll.of(client("127.0.0.1"))) {
      p.poll(null);
      assertThat(p.evidence(new EvidenceSubmission("e.y.z")).result())
          .isEqualTo("PASS");
    }
    assertThat(ports).hasSize(2).doesNotHaveDuplicates();
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

  /**
   * Polls once against a loopback TLS server (the same certificates, the device's required) that
   * answers the poll with {@code answer}, raw, and returns the poll's outcome; {@code closed}
   * completes when the client closed the connection.
   */
  Object rawPoll(String answer, CompletableFuture<Boolean> closed) throws Exception {
    try (SSLServerSocket listen = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listen.setNeedClientAuth(true);
      Thread t = new Thread(() -> {
        try (SSLSocket s = (SSLSocket) listen.accept()) {
          s.setSoTimeout(10_000);
          InputStream in = s.getInputStream();
          String request = "";
          while (!request.endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
              return;
            }
            request += (char) c;
          }
          s.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
          s.getOutputStream().flush();
          closed.complete(in.read() < 0);
        } catch (IOException e) {
          closed.complete(true); // the client's close, seen as a broken TLS session
        }
      });
      t.start();
      KeyPair pair = DeviceIdentity.newKeyPair();
      X509Certificate cert = CertificateIssuer.forSubject("CN=dev-1", pair.getPublic())
          .clientAuth().issuedBy(ca, caKey.getPrivate());
      DeviceClient c = DeviceClient.of(URI.create("https://127.0.0.1:" + listen.getLocalPort()),
          new DeviceIdentity("dev-1", pair, cert, ca));
      try (KeptPoll p = KeptPoll.of(c)) {
        return p.poll(null);
      } catch (IOException e) {
        return e;
      } finally {
        t.join(15_000);
      }
    }
  }

  /** A poll as the server writes it: every primitive field (the agent refuses one without). */
  static final String POLL = "{\"renewCertificate\":false,\"pollAfterSeconds\":7}";
  static final String OK = "HTTP/1.1 200 OK\r\nETag: " + ETAG + "\r\nContent-Length: "
      + POLL.length() + "\r\n\r\n" + POLL;

  /** The poll refused with an IOException naming {@code reason}, its connection closed. */
  void refused(String answer, String reason) throws Exception {
    CompletableFuture<Boolean> closed = new CompletableFuture<>();
    Object outcome = rawPoll(answer, closed);
    assertThat(outcome).as("%s", outcome).isInstanceOf(IOException.class);
    assertThat(((IOException) outcome).getMessage()).contains(reason);
    assertThat(closed.get(10, TimeUnit.SECONDS)).as("the connection closed").isTrue();
  }

  @Test
  void interimAnswers_skipped_theFinalOneRead() throws Exception {
    Object outcome = rawPoll("HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
        + "HTTP/1.1 100 Continue\r\n\r\n" + OK, new CompletableFuture<>());
    assertThat(outcome).as("%s", outcome).isInstanceOf(DeviceClient.PollAnswer.class);
    DeviceClient.PollAnswer a = (DeviceClient.PollAnswer) outcome;
    assertThat(a.changed()).isTrue();
    assertThat(a.etag()).isEqualTo(ETAG);
    assertThat(a.poll().pollAfterSeconds()).isEqualTo(7);
  }

  @Test
  void switchingProtocols_tooManyInterims_orNoStatus_refused() throws Exception {
    refused("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + OK,
        "unasked protocol switch");
    refused("HTTP/1.1 103 Early Hints\r\n\r\n".repeat(9) + OK, "more than 8 interim");
    refused("HTTP/1.1 -99 Odd\r\n\r\n" + OK, "not an HTTP status");
  }

  @Test
  void contentLength_second_negative_orNotDigits_refused() throws Exception {
    refused("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        "a second Content-Length");
    refused("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}", "not a decimal number");
    refused("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}", "not a decimal number");
  }

  @Test
  void transferEncoding_notExactlyChunked_refused() throws Exception {
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: notchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "only chunked");
    Object outcome = rawPoll("HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\n\r\n"
        + Integer.toHexString(POLL.length()) + "\r\n" + POLL + "\r\n0\r\n\r\n",
        new CompletableFuture<>());
    assertThat(outcome).as("%s", outcome).isInstanceOf(DeviceClient.PollAnswer.class);
  }

  @Test
  void trailerLines_countedAsHeaders_refusedBeyondTheLimit() throws Exception {
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
        + "X-T: 1\r\n".repeat(101) + "\r\n", "more than 100 field lines");
  }

  @Test
  void foldedHeaderLine_refused() throws Exception {
    refused("HTTP/1.1 200 OK\r\nX-A: 1\r\n X-B: 2\r\nContent-Length: 2\r\n\r\n{}",
        "a folded field line");
    refused("HTTP/1.1 200 OK\r\nX-A: 1\r\n\tX-B: 2\r\nContent-Length: 2\r\n\r\n{}",
        "a folded field line");
  }
}
