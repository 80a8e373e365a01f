package org.neguard.tuf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The repository's files on disk: metadata/ and targets/. */
public final class RepositoryLayout {
  public static final String METADATA = "metadata";
  public static final String TARGETS = "targets";

  private RepositoryLayout() {}

  public static void write(Path dir, List<Metadata> roots, Published published,
      Map<String, Path> targetContents) throws IOException {
    throw new UnsupportedOperationException("todo");
  }
}
