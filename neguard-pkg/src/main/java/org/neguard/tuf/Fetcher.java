package org.neguard.tuf;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;

/** How the client fetches repository files. */
public interface Fetcher {
  Optional<InputStream> open(URI uri, long maxBytes) throws IOException;

  static Fetcher http(Duration timeout) {
    throw new UnsupportedOperationException("todo");
  }

  static Fetcher http(HttpClient client, Duration timeout) {
    throw new UnsupportedOperationException("todo");
  }
}
