package org.neguard.server.device;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.neguard.server.Http;

/**
 * Raw requests to the agents' port for attacks the real client would never send: any headers,
 * any body, a client certificate of one's choosing or none. Trusts the device CA only.
 */
final class AgentsPort {
  private final URI base;
  private final HttpClient client;

  /**
   * @param ca the device CA (trusted for the server's certificate)
   * @param key the client's key pair, or null to present no certificate
   * @param cert the client certificate for {@code key}
   */
  AgentsPort(URI base, X509Certificate ca, KeyPair key, X509Certificate cert) throws Exception {
    this.base = base;
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (key != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("me", key.getPrivate(), new char[0], new X509Certificate[] {cert});
      kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(ks, new char[0]);
    }
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    this.client = HttpClient.newBuilder().sslContext(tls)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  Http.Response send(String method, String path, Map<String, String> headers, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    headers.forEach(b::header);
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Http.Response(r.statusCode(), r.body());
  }
}
