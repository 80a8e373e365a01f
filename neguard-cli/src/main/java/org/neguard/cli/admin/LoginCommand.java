package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Credentials;
import org.neguard.cli.support.Secrets;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard login}: trade a password for an API token, saved 0600 in the config dir. */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Log in to an OAM server: the password is sent once, over the server's TLS, and an API "
          + "token comes back; it is saved (mode 0600) in the config directory for later commands."
    })
final class LoginCommand extends ClientCommand {
  @Option(names = "--user", paramLabel = "NAME",
      description = "User name (default: your login name).")
  String user = System.getProperty("user.name");

  @Option(names = "--password-file", paramLabel = "FILE",
      description = "Read the password from FILE (else $NEGUARD_PASSWORD, else the terminal).")
  Path passwordFile;

  @Option(names = "--ttl-hours", paramLabel = "H",
      description = "Token lifetime in hours (default: the server's, 12).")
  Long ttlHours;

  @Override
  public Integer call() throws Exception {
    // Refused before the password is sent: a token the server issues must have a safe place.
    serverOptions().credentials().checkPrivate();
    ServerClient c = serverOptions().anonymous();
    String password = Secrets.read(passwordFile, "NEGUARD_PASSWORD", "Password for " + user);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", user);
    body.put("password", password);
    body.put("tokenName", "neguard login");
    if (ttlHours != null) {
      body.put("ttlHours", ttlHours);
    }
    JsonNode t = c.post("/api/auth/login", body);
    String token = t.path("token").asText();
    String expires = t.path("expiresAt").asText();
    Credentials creds = serverOptions().credentials();
    creds.save(new Credentials.Saved(c.server(), user, token, expires));
    JsonNode me = c.withToken(token).get("/api/auth/whoami");
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("server", c.server());
    d.put("username", user);
    d.put("roles", me.path("roles"));
    d.put("expiresAt", expires);
    d.put("credentials", creds.file().toString());
    return output().done("Logged in to " + c.server() + " as " + user
        + " (" + me.path("roles").toString().replaceAll("[\\[\\]\"]", "") + "); token saved in "
        + creds.file() + ", expires " + expires, d);
  }
}
