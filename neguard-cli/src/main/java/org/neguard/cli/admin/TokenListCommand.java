package org.neguard.cli.admin;

import java.util.List;
import java.util.Map;
import org.neguard.api.auth.Token;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard user token list}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = {"List your API tokens, or everyone's with --all (admin or auditor).",
        "Secrets are never shown, only ids, names and dates (last use to within a minute)."})
final class TokenListCommand extends ClientCommand {
  @Option(names = "--all") boolean all;

  @Override
  public Integer call() throws Exception {
    List<Token> tokens = server().tokens(all);
    StringBuilder text = new StringBuilder(String.format("%-16s %-16s %-24s %-24s %-8s %s",
        "ID", "USER", "EXPIRES", "LAST USED", "STATE", "NAME"));
    for (Token t : tokens) {
      text.append('\n').append(String.format("%-16s %-16s %-24s %-24s %-8s %s", t.id(),
          t.username(), t.expiresAt(), t.lastUsedAt() == null ? "never" : Output.printable(t.lastUsedAt()),
          t.revokedAt() != null ? "revoked" : "active",
          Output.printable(t.name() == null ? "" : t.name())));
    }
    return output().done(text.toString(), Map.of("tokens", wire(tokens)));
  }
}
