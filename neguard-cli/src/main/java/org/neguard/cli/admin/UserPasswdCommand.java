package org.neguard.cli.admin;

import java.nio.file.Path;
import java.util.Map;
import org.neguard.api.auth.PasswordRequest;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Secrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard user passwd}. */
@Command(name = "passwd", mixinStandardHelpOptions = true,
    description = "Change your own password.")
final class UserPasswdCommand extends ClientCommand {
  @Option(names = "--old-password-file", paramLabel = "FILE") Path oldFile;
  @Option(names = "--new-password-file", paramLabel = "FILE") Path newFile;

  @Override
  public Integer call() throws Exception {
    String old = Secrets.read(oldFile, null, "Current password");
    String fresh = Secrets.read(newFile, null, "New password");
    server().changePassword(new PasswordRequest(old, fresh));
    return output().done("Password changed", Map.of("changed", true));
  }
}
