package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
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
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", name);
    if (ttlHours != null) {
      body.put("ttlHours", ttlHours);
    }
    JsonNode t = server().post("/api/tokens", body);
    return output().done("Token " + t.path("id").asText() + " (expires "
        + t.path("expiresAt").asText() + "), shown once:\n" + t.path("token").asText(),
        map(t));
  }
}
