package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user token revoke}. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
    description = "Revoke a token (yours; admins: anyone's). It stops working at once.")
final class TokenRevokeCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID") String id;

  @Override
  public Integer call() throws Exception {
    JsonNode r = server().delete("/api/tokens/" + ServerClient.encode(id));
    return output().done("Revoked token " + id, map(r));
  }
}
