package org.neguard.cli.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Secrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard user add}. */
@Command(name = "add", mixinStandardHelpOptions = true,
    description = "Create a user (admin). Without --password-file the server generates a"
        + " password and it is shown once.")
final class UserAddCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Option(names = "--role", required = true, paramLabel = "ROLE",
      description = "A role to give; repeatable.")
  List<String> roles = new ArrayList<>();

  @Option(names = "--password-file", paramLabel = "FILE") Path passwordFile;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", name);
    if (passwordFile != null) {
      body.put("password", Secrets.read(passwordFile, null, "Password"));
    }
    body.put("roles", roles);
    JsonNode r = server().post("/api/users", body);
    String pw = r.path("password").asText(null);
    return output().done("Created user " + name + " with roles " + String.join(",", roles)
        + (pw == null ? "" : "\nGenerated password (shown once): " + pw), map(r));
  }
}
