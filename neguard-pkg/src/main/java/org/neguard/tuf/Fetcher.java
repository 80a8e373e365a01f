package org.neguard.tuf;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the client fetches repository files. An implementation does not need to check sizes: the
 * client counts the bytes while it reads and stops one byte past {@code maxBytes}, so an endless
 * response never costs more than that; {@code maxBytes} is there for an implementation that can
 * refuse earlier (a Content-Length above it). The agent plugs in its mutual-TLS client here.
 */
public interface Fetcher {
  /**
   * Opens {@code uri} for reading; the caller closes the stream.
   *
   * @return empty when the resource does not exist (HTTP 404 or 410): how the client learns
   *     that there is no newer root
   * @throws IOException on any other failure (the client reports SERVER_UNREACHABLE)
   */
  Optional<InputStream> open(URI uri, long maxBytes) throws IOException;

  /** The default: a new {@link HttpClient} that follows no redirect. */
  static Fetcher http(Duration timeout) {
    return http(HttpClient.newBuilder().connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER).build(), timeout);
  }

  /** GET with {@code client}, {@code timeout} for each request until the headers arrive. */
  static Fetcher http(HttpClient client, Duration timeout) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(timeout, "timeout");
    return (uri, maxBytes) -> {
      HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
      HttpResponse<InputStream> response;
      try {
        response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while fetching " + uri, e);
      }
      int status = response.statusCode();
      if (status == 200) {
        return Optional.of(response.body());
      }
      response.body().close();
      if (status == 404 || status == 410) {
        return Optional.empty();
      }
      throw new IOException("HTTP status " + status + " from " + uri);
    };
  }
}
