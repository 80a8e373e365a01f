package org.neguard.cli.admin;

import java.util.Map;
import org.neguard.api.auth.UserDisabled;
import org.neguard.cli.support.ClientCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard user enable}. */
@Command(name = "enable", mixinStandardHelpOptions = true,
    description = "Enable a disabled user again (admin).")
final class UserEnableCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "NAME") String name;

  @Override
  public Integer call() throws Exception {
    UserDisabled r = server().setDisabled(name, false);
    return output().done("Enabled user " + name, fields(r));
  }
}
