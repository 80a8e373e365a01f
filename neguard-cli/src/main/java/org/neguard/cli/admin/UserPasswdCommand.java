package org.neguard.cli.admin;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("oldPassword", old);
    body.put("newPassword", fresh);
    server().put("/api/auth/password", body);
    return output().done("Password changed", Map.of("changed", true));
  }
}
