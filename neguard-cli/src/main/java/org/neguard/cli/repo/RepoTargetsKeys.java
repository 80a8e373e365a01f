package org.neguard.cli.repo;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.neguard.tuf.TufKey;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;

/** The offline targets keys of {@code --targets-key} and {@code --targets-threshold}. */
final class RepoTargetsKeys {
  private RepoTargetsKeys() {}

  /**
   * The keys, none when neither option is given; the two options go together, and the
   * threshold is between 1 and the number of keys.
   */
  static List<TufKey> read(List<Path> files, Integer threshold,
      Function<String, CommandLine.ParameterException> usage) throws RefusalException {
    if (files.isEmpty() != (threshold == null)) {
      throw usage.apply("--targets-key and --targets-threshold go together: the offline"
          + " targets keys and how many of them must sign");
    }
    List<TufKey> keys = RepoKeys.read(files, "targets", usage);
    if (threshold != null && (threshold < 1 || threshold > keys.size())) {
      throw usage.apply("--targets-threshold must be between 1 and the number of targets keys ("
          + keys.size() + "): " + threshold);
    }
    return keys;
  }
}
