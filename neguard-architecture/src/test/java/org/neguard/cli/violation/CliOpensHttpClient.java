package org.neguard.cli.violation;

import java.net.http.HttpClient;

/** A deliberate violation: a command talking to the server past ServerClient's limits and TLS. */
public final class CliOpensHttpClient {
  private CliOpensHttpClient() {}

  static HttpClient client() {
    return HttpClient.newHttpClient();
  }
}
