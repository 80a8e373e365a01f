package org.neguard.cli.admin;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.neguard.api.auth.RoleName;
import org.neguard.api.auth.User;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;

/** {@code neguard user list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List users and their roles (admin, auditor).")
final class UserListCommand extends ClientCommand {
  @Override
  public Integer call() throws Exception {
    List<User> users = server().users();
    StringBuilder text = new StringBuilder(String.format("%-24s %-8s %s", "USER", "STATE",
        "ROLES"));
    for (User u : users) {
      text.append('\n').append(String.format("%-24s %-8s %s", u.username(),
          u.disabled() ? "disabled" : "enabled", names(u.roles())));
    }
    return output().done(text.toString(), Map.of("users", wire(users)));
  }

  /**
   * Roles as the server listed them, comma-separated: {@code admin,auditor}; one this client
   * does not know is shown as written.
   */
  static String names(List<RoleName> roles) {
    return roles.stream().map(RoleName::id).collect(Collectors.joining(","));
  }
}
