package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user enable}. */
@Command(name = "enable", mixinStandardHelpOptions = true,
    description = "Enable a disabled user again (admin).")
final class UserEnableCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Override
  public Integer call() throws Exception {
    JsonNode r = server().post("/api/users/" + ServerClient.encode(name) + "/enable",
        Map.of());
    return output().done("Enabled user " + name, map(r));
  }
}
