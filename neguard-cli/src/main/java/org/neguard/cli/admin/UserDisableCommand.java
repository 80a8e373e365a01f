package org.neguard.cli.admin;

import java.util.Map;
import org.neguard.api.auth.UserDisabled;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user disable}. */
@Command(name = "disable", mixinStandardHelpOptions = true,
    description = "Disable a user (admin): their tokens stop working at once.")
final class UserDisableCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Override
  public Integer call() throws Exception {
    UserDisabled r = server().setDisabled(name, true);
    return output().done("Disabled user " + name, fields(r));
  }
}
