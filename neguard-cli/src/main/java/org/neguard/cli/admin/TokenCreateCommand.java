package org.neguard.cli.admin;

import java.util.Map;
import org.neguard.api.auth.IssueTokenRequest;
import org.neguard.api.auth.Token;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard user token create}. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Issue a new API token for yourself; it is shown once, store it safely.")
final class TokenCreateCommand extends ClientCommand {
  @Option(names = "--name", paramLabel = "NAME", defaultValue = "api",
      description = "What the token is for (default: ${DEFAULT-VALUE}).")
  String name;

  @Option(names = "--ttl-hours", paramLabel = "H",
      description = "Lifetime in hours, 1 to 8784 (default: 12).")
  Long ttlHours;

  @Override
  public Integer call() throws Exception {
    Token t = server().issueToken(new IssueTokenRequest(name, ttlHours));
    return output().done("Token " + t.id() + " (expires " + t.expiresAt() + "), shown once:\n"
        + t.token(), fields(t));
  }
}
