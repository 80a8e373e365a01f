package org.neguard.cli.admin;

import java.util.ArrayList;
import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.auth.RolesRequest;
import org.neguard.api.auth.UserRoles;
import org.neguard.cli.support.ClientCommand;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
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
    UserRoles r = server().setRoles(name, new RolesRequest(parse(roles)));
    return output().done("User " + name + " now has roles " + String.join(",", roles),
        fields(r));
  }

  /**
   * The roles given with {@code --role}, as the server knows them.
   *
   * @throws RefusalException {@code BAD_INPUT} naming the role that is none, before anything is
   *     sent
   */
  static List<Role> parse(List<String> roles) throws RefusalException {
    List<Role> parsed = new ArrayList<>();
    for (String r : roles) {
      try {
        parsed.add(Role.parse(r));
      } catch (IllegalArgumentException e) {
        throw RefusalException.about(ReasonCode.BAD_INPUT, r, "--role: " + e.getMessage());
      }
    }
    return parsed;
  }
}
