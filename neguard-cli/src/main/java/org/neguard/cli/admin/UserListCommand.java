package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;

/** {@code neguard user list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List users and their roles (admin, auditor).")
final class UserListCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    JsonNode users = server().get("/api/users");
    StringBuilder text = new StringBuilder(String.format("%-24s %-8s %s", "USER", "STATE",
        "ROLES"));
    for (JsonNode u : users) {
      text.append('\n').append(String.format("%-24s %-8s %s", u.path("username").asText(),
          u.path("disabled").asBoolean() ? "disabled" : "enabled",
          u.path("roles").toString().replaceAll("[\\[\\]\"]", "")));
    }
    return output().done(text.toString(), Map.of("users", users));
  }
}
