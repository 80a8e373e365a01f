package org.neguard.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code neguard logout}: revoke the saved token on the server and forget it. */
@Command(name = "logout", mixinStandardHelpOptions = true,
    description = "Revoke the saved API token on the server and remove it from this machine.")
final class LogoutCommand implements Callable<Integer>, Output.JsonCapable {
  @Mixin JsonOption jsonOption;
  @Mixin ClientOptions client;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public boolean json() {
    return jsonOption.json;
  }

  @Override
  public Integer call() throws Exception {
    String url = client.serverUrl();
    Credentials creds = client.credentials();
    Credentials.Saved saved = creds.find(url).orElse(null);
    if (saved != null) {
      ServerClient c = ServerClient.of(url, saved.token(), client.caCert,
          client.insecurePlainHttp);
      c.delete("/api/tokens/" + saved.token().substring(4, 20));
      creds.remove(url);
    }
    return Output.of(spec.commandLine()).done(
        saved == null ? "Not logged in to " + url : "Logged out of " + url + "; token revoked",
        Map.of("server", url, "revoked", saved != null));
  }
}
