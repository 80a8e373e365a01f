package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user disable}. */
@Command(name = "disable", mixinStandardHelpOptions = true,
    description = "Disable a user (admin): their tokens stop working at once.")
final class UserDisableCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Override
  public Integer call() throws Exception {
    JsonNode r = server().post("/api/users/" + ServerClient.encode(name) + "/disable",
        Map.of());
    return output().done("Disabled user " + name, map(r));
  }
}
