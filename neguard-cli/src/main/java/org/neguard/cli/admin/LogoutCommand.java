package org.neguard.cli.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Credentials;
import picocli.CommandLine.Command;

/** {@code neguard logout}: revoke the saved token on the server and forget it. */
@Command(name = "logout", mixinStandardHelpOptions = true,
    description = "Revoke the saved API token on the server and remove it from this machine.")
final class LogoutCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    String url = serverUrl();
    Credentials.Saved saved = credentials().find(url).orElse(null);
    if (saved != null) {
      server(url, saved.token()).revokeToken(saved.token().substring(4, 20));
      credentials().remove(url);
    }
    // Ordered: Map.of's order changes from one run to the next.
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("server", url);
    d.put("revoked", saved != null);
    return output().done(
        saved == null ? "Not logged in to " + url : "Logged out of " + url + "; token revoked", d);
  }
}
