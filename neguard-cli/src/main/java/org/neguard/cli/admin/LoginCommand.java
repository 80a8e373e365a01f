package org.neguard.cli.admin;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.api.auth.LoginRequest;
import org.neguard.api.auth.Token;
import org.neguard.api.auth.WhoAmI;
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
    Credentials creds = credentials();
    creds.checkPrivate();
    ServerClient c = anonymous();
    String password = Secrets.read(passwordFile, "NEGUARD_PASSWORD", "Password for " + user);
    Token t = c.login(new LoginRequest(user, password, "neguard login", ttlHours));
    creds.save(new Credentials.Saved(c.server(), user, t.token(), t.expiresAt()));
    WhoAmI me = c.withToken(t.token()).whoami();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("server", c.server());
    d.put("username", user);
    d.put("roles", me.roles());
    d.put("expiresAt", t.expiresAt());
    d.put("credentials", creds.file().toString());
    return output().done("Logged in to " + c.server() + " as " + user
        + " (" + UserListCommand.names(me.roles()) + "); token saved in " + creds.file()
        + ", expires " + t.expiresAt(), d);
  }
}
