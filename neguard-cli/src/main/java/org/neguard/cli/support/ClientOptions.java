package org.neguard.cli.support;

import java.io.IOException;
import java.nio.file.Path;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Option;

/**
 * {@code --server}, {@code --cacert}, {@code --config} and {@code --insecure-plain-http}: the
 * target of a {@link ClientCommand}, the one base of the commands that talk to an OAM server. The token is {@code $NEGUARD_TOKEN}, else the one {@code neguard login} saved
 * for the server.
 */
final class ClientOptions {
  @Option(names = "--server", paramLabel = "URL",
      description = "The OAM server (default: $NEGUARD_SERVER, else the last one logged in to).")
  String server;

  @Option(names = "--cacert", paramLabel = "CA.pem",
      description = "CA certificate to trust for an https server with a private CA.")
  Path caCert;

  @Option(names = "--config", paramLabel = "DIR",
      description = "Where 'neguard login' keeps tokens (default: $NEGUARD_CONFIG_DIR,"
          + " $XDG_CONFIG_HOME/neguard or ~/.config/neguard).")
  Path configDir;

  @Option(names = "--insecure-plain-http",
      description = "Talk plain HTTP to a server that is not on loopback: the password and the"
          + " token travel in clear text. Without it, such a URL is refused before connecting.")
  boolean insecurePlainHttp;

  Credentials credentials() {
    return Credentials.in(configDir);
  }

  /** The server URL to use, without a token. */
  String serverUrl() throws IOException, RefusalException {
    if (server != null) {
      return server;
    }
    String env = System.getenv("NEGUARD_SERVER");
    if (env != null && !env.isBlank()) {
      return env;
    }
    return credentials().find(null).map(Credentials.Saved::server).orElseThrow(
        () -> new RefusalException(ReasonCode.BAD_INPUT,
            "which server? give --server URL, or log in first with 'neguard login --server URL'"));
  }

  /** A client with the token for the server. */
  ServerClient client() throws IOException, RefusalException {
    String url = serverUrl();
    String token = System.getenv("NEGUARD_TOKEN");
    if (token == null || token.isBlank()) {
      token = credentials().find(url).map(Credentials.Saved::token).orElseThrow(
          () -> new RefusalException(ReasonCode.NOT_AUTHENTICATED,
              "not logged in to " + url + "; run 'neguard login --server " + url + "'"));
    }
    return ServerClient.of(url, token, caCert, insecurePlainHttp);
  }

  /** A client without a token (login). */
  ServerClient anonymous() throws IOException, RefusalException {
    return ServerClient.of(serverUrl(), null, caCert, insecurePlainHttp);
  }

  /** A client of {@code url} with {@code token} (logout: the saved token, not the env's). */
  ServerClient client(String url, String token) throws IOException, RefusalException {
    return ServerClient.of(url, token, caCert, insecurePlainHttp);
  }
}
