package org.neguard.server.drift;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.neguard.harden.Observation;
import org.neguard.harden.ObservationCodec;
import org.neguard.harden.ObservedPort;
import org.neguard.harden.PortState;
import org.neguard.harden.ProcessInfo;
import org.neguard.harden.Transport;
import org.neguard.server.Http;
import org.neguard.server.TestServer;

/** Policies, inventories and a webhook receiver for the drift tests. */
final class DriftFixture {
  private DriftFixture() {}

  /** A policy for {@code neType} declaring ssh on tcp/22 and s1ap on sctp/36412. */
  static String policy(String neType, String description) {
    return "schema: neguard-hardening-policy/1\nneType: " + neType + "\n"
        + "description: " + description + "\n"
        + "allowed:\n"
        + "  - transport: tcp\n    port: 22\n    service: ssh\n"
        + "    justification: OAM shell for operators\n"
        + "  - transport: sctp\n    port: 36412\n    service: s1ap\n"
        + "    justification: S1-MME towards the eNodeBs\n";
  }

  /** A policy for {@code neType} declaring ssh on tcp/{@code port}, on the management network only. */
  static String managementOnly(String neType, int port) {
    return "schema: neguard-hardening-policy/1\nneType: " + neType + "\n"
        + "description: ssh for the management network only\nallowed:\n"
        + "  - transport: tcp\n    port: " + port + "\n    service: ssh\n"
        + "    justification: OAM shell\n    reachableOn: [198.51.100.0/24]\n";
  }

  static Http.Response upload(TestServer s, String token, String neType, String yaml) {
    return s.http.sendRaw("POST", "/api/policies/" + neType,
        Map.of("Authorization", "Bearer " + token, "Content-Type", "application/yaml"),
        yaml.getBytes(StandardCharsets.UTF_8));
  }

  static ObservedPort tcp(String address, int port, int pid, String process) {
    return new ObservedPort(Transport.TCP, address, port, PortState.OPEN, null, "test",
        new ProcessInfo(pid, process, "/usr/bin/" + process, "root"), List.of());
  }

  /** An inventory as the agent sends it, of these listening sockets. */
  static byte[] inventory(String host, boolean complete, ObservedPort... ports) {
    Instant now = Instant.now();
    return ObservationCodec.encode(new Observation("inventory", host, host, "NEGuard test", now,
        now, complete, Map.of(), List.of(ports), complete ? List.of()
            : List.of("SCTP endpoints not read")));
  }

  /**
   * Posts {@code body} to the agents' port as {@code id}'s device, streamed without a length
   * (chunked), as an attacker would to get past a check on {@code Content-Length}.
   *
   * @return the status and body of the answer
   */
  static Http.Response chunked(org.neguard.agent.client.DeviceIdentity id, URI deviceUrl,
      String path, InputStream body) throws Exception {
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", id.ca());
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", id.keyPair().getPrivate(), new char[0],
        new java.security.cert.X509Certificate[] {id.certificate()});
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(tls)
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest
        .newBuilder(deviceUrl.resolve(path)).header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return new Http.Response(r.statusCode(), r.body());
  }
}
