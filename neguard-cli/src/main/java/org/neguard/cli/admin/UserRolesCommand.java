package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard user roles}. */
@Command(name = "roles", mixinStandardHelpOptions = true,
    description = "Set a user's roles (admin).")
final class UserRolesCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Option(names = "--role", required = true, paramLabel = "ROLE",
      description = "A role to hold; repeatable. The roles given replace the old ones.")
  List<String> roles = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    JsonNode r = server().put("/api/users/" + ServerClient.encode(name) + "/roles",
        Map.of("roles", roles));
    return output().done("User " + name + " now has roles " + String.join(",", roles), map(r));
  }
}
