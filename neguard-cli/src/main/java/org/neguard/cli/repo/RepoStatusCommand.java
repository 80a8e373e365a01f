package org.neguard.cli.repo;

import java.util.List;
import org.neguard.api.repo.RepoRole;
import org.neguard.api.repo.RepoStatus;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.Output;
import picocli.CommandLine.Command;

/** {@code neguard repo status}: the repository as the server publishes it. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Show the published repository: every role's version, expiry, keys and"
        + " threshold, and the number of targets.")
final class RepoStatusCommand extends ClientCommand {
  private static final String ROW = "%-10s %-8s %-21s %-10s %-8s %s";

  @Override
  public Integer call() throws Exception {
    RepoStatus s = server().repoStatus();
    return output().done(describe(s), fields(s));
  }

  /** The status as a table, as status and root publish print it. */
  static String describe(RepoStatus s) {
    if (!s.initialized()) {
      return "Not initialized: " + (s.message() == null
          ? "no root has been published; see 'neguard repo init'."
          : Output.printable(s.message()));
    }
    StringBuilder b = new StringBuilder(String.format(ROW, "ROLE", "VERSION", "EXPIRES",
        "THRESHOLD", "SIGNED", "KEY IDS"));
    for (RepoRole r : s.roles() == null ? List.<RepoRole>of() : s.roles()) {
      b.append('\n').append(Output.printable(String.format(ROW, r.role(), r.version(),
          r.expires() == null ? "-" : r.expires(),
          r.threshold() + " of " + (r.keyIds() == null ? 0 : r.keyIds().size()),
          r.online() ? "online" : "offline",
          String.join(", ", r.keyIds() == null ? List.of() : r.keyIds()))));
    }
    b.append('\n').append(s.targets()).append(s.targets() == 1 ? " target" : " targets");
    if (s.publishedAt() != null) {
      b.append(", published ").append(Output.printable(s.publishedAt()));
    }
    if (s.message() != null) {
      b.append('\n').append(Output.printable(s.message()));
    }
    return b.toString();
  }
}
