package org.neguard.cli.repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.api.repo.RepoStatus;
import org.neguard.cli.support.ClientCommand;
import org.neguard.tuf.RootMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard repo root publish}: the signed root to the server, which checks it again. */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = {
      "Publish a signed root on the server (admin); the server then publishes targets, snapshot"
          + " and timestamp signed with its online keys.",
      "The server refuses a root without its own threshold of valid signatures (REPO_SIGNATURE),"
          + " a later root without the previous root's threshold too (REPO_SIGNATURE), one that"
          + " is not the next version (REPO_ROLLBACK), and one whose online keys are not the"
          + " server's (CONFLICT)."
    })
final class RepoRootPublishCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "root.json", description = "The signed root.")
  Path file;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    // Read here first only to refuse what is not a root before it travels; the server decides.
    RootMetadata root = RepoText.readRoot(file).root();
    RepoStatus answer = server().publishRepoRoot(Files.readAllBytes(file));
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("file", file.toString());
    details.put("version", root.version());
    details.put("status", fields(answer));
    return output().done("Published root version " + root.version() + " from " + file
        + "; the server publishes the repository with it.\n"
        + RepoStatusCommand.describe(answer), details);
  }
}
