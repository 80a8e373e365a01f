package org.neguard.cli.pkg;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;

/** {@code neguard pkg list}: the packages stored on the OAM server. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the packages stored on the OAM server (any role).")
final class PkgListCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    JsonNode list = server().get("/api/packages");
    StringBuilder text = new StringBuilder(String.format("%-24s %-12s %-6s %-16s %s", "NAME",
        "VERSION", "SECV", "UPLOADED BY", "SIGNER"));
    for (JsonNode p : list) {
      text.append('\n').append(String.format("%-24s %-12s %-6s %-16s %s",
          p.path("name").asText(), p.path("version").asText(),
          p.path("securityVersion").asText(), p.path("uploadedBy").asText(),
          p.path("signerSubject").asText()));
    }
    return output().done(text.toString(), Map.of("packages", list));
  }
}
