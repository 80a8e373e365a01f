package org.neguard.cli.support;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.neguard.verdict.RefusalException;

/**
 * Raw requests to a server's agents' port without a client certificate, for evidence that users
 * cannot reach it ({@code evidence authz}): only the status matters, so the answer is read and
 * dropped. Trusts the agents' port through the device CA alone. Thread-safe.
 */
public final class AgentsPortProbe {
  private final HttpClient http;
  private final String baseUrl;

  private AgentsPortProbe(HttpClient http, String baseUrl) {
    this.http = http;
    this.baseUrl = baseUrl;
  }

  /**
   * A probe of the agents' API at {@code baseUrl} ({@code https://host:port}).
   *
   * @throws RefusalException if {@code deviceCa} cannot be made a trust anchor
   */
  public static AgentsPortProbe of(String baseUrl, X509Certificate deviceCa)
      throws RefusalException {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(15)).followRedirects(HttpClient.Redirect.NEVER)
        .sslContext(ServerClient.sslTrusting(List.of(deviceCa), "the device CA"))
        .build();
    return new AgentsPortProbe(http, baseUrl);
  }

  /**
   * The status of {@code method path}, with {@code token} as a bearer token (null: none) and
   * {@code body} as JSON (null: none).
   */
  public int status(String method, String path, String token, String body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
        .timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json").method(method,
          HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }
}
