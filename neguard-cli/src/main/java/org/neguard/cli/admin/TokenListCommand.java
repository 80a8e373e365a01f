package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard user token list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List your tokens (--all: everyone's, admin or auditor). Never secrets.")
final class TokenListCommand extends ClientCommand {
  @Option(names = "--all") boolean all;

  @Override
  public Integer call() throws Exception {
    JsonNode tokens = server().get("/api/tokens" + (all ? "?all=true" : ""));
    StringBuilder text = new StringBuilder(String.format("%-16s %-16s %-24s %-8s %s", "ID",
        "USER", "EXPIRES", "STATE", "NAME"));
    for (JsonNode t : tokens) {
      text.append('\n').append(String.format("%-16s %-16s %-24s %-8s %s",
          t.path("id").asText(), t.path("username").asText(), t.path("expiresAt").asText(),
          t.hasNonNull("revokedAt") ? "revoked" : "active",
          Output.printable(t.path("name").asText())));
    }
    return output().done(text.toString(), Map.of("tokens", tokens));
  }
}
