package org.neguard.cli.repo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.api.repo.RepoStatus;
import org.neguard.cli.support.ClientCommand;
import org.neguard.tuf.TargetsMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code neguard repo targets publish}: targets signed offline to the server, which checks it. */
@Command(name = "publish", mixinStandardHelpOptions = true,
    description = {
      "Publish targets signed offline (admin, approver); the server then signs a new snapshot"
          + " and timestamp over it.",
      "The server refuses targets without the root's targets threshold of valid signatures"
          + " (REPO_SIGNATURE), not version current+1 (REPO_ROLLBACK), expired (REPO_EXPIRED),"
          + " or naming a target that is not a package it verified, with exactly its length,"
          + " SHA-256 and custom fields (REPO_MISMATCH)."
    })
final class RepoTargetsPublishCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "targets.json", description = "The signed targets.")
  Path file;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    // Read here first only to refuse what is not targets before it travels; the server decides.
    byte[] bytes = RepoText.readTargetsFile(file);
    TargetsMetadata t = RepoText.readTargets(bytes, file.toString()).targets();
    RepoStatus answer = server().publishRepoTargets(bytes);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("file", file.toString());
    details.put("version", t.version());
    details.put("status", fields(answer));
    return output().done("Published targets version " + t.version() + " from " + file
        + "; the server signed a snapshot and timestamp over it.\n"
        + RepoStatusCommand.describe(answer), details);
  }
}
