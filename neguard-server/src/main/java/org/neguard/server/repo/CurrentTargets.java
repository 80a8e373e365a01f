package org.neguard.server.repo;

import java.util.Map;
import java.util.Optional;
import org.neguard.tuf.Metadata;
import org.neguard.tuf.Role;
import org.neguard.tuf.TargetFile;
import org.neguard.verdict.RefusalException;
import org.springframework.stereotype.Component;

/**
 * The targets of the current targets metadata, parsed once per version: a download looks its
 * file up here rather than parsing a metadata file of ten thousand entries each time. Another
 * replica's publication is seen at the next request (the version is read every time).
 * Thread-safe.
 */
@Component
final class CurrentTargets {
  private record Parsed(int version, Map<String, TargetFile> targets) {}

  private final RepoStore store;
  private volatile Parsed parsed = new Parsed(0, Map.of());

  CurrentTargets(RepoStore store) {
    this.store = store;
  }

  /** The current targets by name; empty before the first publication. */
  Map<String, TargetFile> targets() {
    int version = store.currentVersion(Role.TARGETS);
    Parsed p = parsed;
    if (p.version() == version) {
      return p.targets();
    }
    Optional<byte[]> content = store.content(Role.TARGETS, version);
    if (content.isEmpty()) {
      return Map.of(); // none yet, or superseded between the two reads: the next call sees it
    }
    try {
      p = new Parsed(version, Map.copyOf(
          Metadata.parse(content.get(), Publisher.MAX_METADATA_BYTES).targets().targets()));
    } catch (RefusalException e) {
      throw new IllegalStateException("the stored targets " + version + " do not parse: "
          + e.getMessage(), e);
    }
    parsed = p;
    return p.targets();
  }
}
