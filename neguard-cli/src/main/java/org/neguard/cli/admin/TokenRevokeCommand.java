package org.neguard.cli.admin;

import org.neguard.api.auth.TokenRevoked;
import org.neguard.cli.support.ClientCommand;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user token revoke}. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
    description = {"Revoke an API token, yours or (admins) anyone's, so that it stops working at"
        + " once."})
final class TokenRevokeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    TokenRevoked r = server().revokeToken(id);
    return output().done("Revoked token " + id, fields(r));
  }
}
