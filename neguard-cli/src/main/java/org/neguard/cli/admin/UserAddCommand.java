package org.neguard.cli.admin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.neguard.api.auth.CreateUserRequest;
import org.neguard.api.auth.CreatedUser;
import org.neguard.api.auth.Role;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Secrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard user add}. */
@Command(name = "add", mixinStandardHelpOptions = true,
    description = {"Create a user account on the server (admin).",
        "Without --password-file the server generates a password and it is shown once."})
final class UserAddCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Option(names = "--role", required = true, paramLabel = "ROLE",
      description = "A role to give; repeatable.")
  List<String> roles = new ArrayList<>();

  @Option(names = "--password-file", paramLabel = "FILE") Path passwordFile;

  @Override
  public Integer call() throws Exception {
    List<Role> parsed = UserRolesCommand.parse(roles);
    String password = passwordFile == null ? null : Secrets.read(passwordFile, null, "Password");
    CreatedUser r = server().createUser(new CreateUserRequest(name, password, parsed));
    String pw = r.password();
    return output().done("Created user " + name + " with roles " + String.join(",", roles)
        + (pw == null ? "" : "\nGenerated password (shown once): " + pw), fields(r));
  }
}
