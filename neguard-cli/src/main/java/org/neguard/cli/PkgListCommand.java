package org.neguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code neguard pkg list}: the packages stored on the OAM server. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List the packages stored on the OAM server (any role).")
final class PkgListCommand implements Callable<Integer>, Output.JsonCapable {
  @Mixin JsonOption jsonOption;
  @Mixin ClientOptions client;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public boolean json() {
    return jsonOption.json;
  }

  @Override
  public Integer call() throws Exception {
    JsonNode list = client.client().get("/api/packages");
    StringBuilder text = new StringBuilder(String.format("%-24s %-12s %-6s %-16s %s", "NAME",
        "VERSION", "SECV", "UPLOADED BY", "SIGNER"));
    for (JsonNode p : list) {
      text.append('\n').append(String.format("%-24s %-12s %-6s %-16s %s",
          p.path("name").asText(), p.path("version").asText(),
          p.path("securityVersion").asText(), p.path("uploadedBy").asText(),
          p.path("signerSubject").asText()));
    }
    return Output.of(spec.commandLine()).done(text.toString(), Map.of("packages", list));
  }
}
