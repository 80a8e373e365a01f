package org.neguard.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole directory trees. Not thread-safe against another process changing the tree meanwhile. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code root} and everything below it; nothing happens when it does not exist. Symbolic
   * links are deleted, never followed.
   *
   * @throws IOException when an entry cannot be deleted; entries before it are gone
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
