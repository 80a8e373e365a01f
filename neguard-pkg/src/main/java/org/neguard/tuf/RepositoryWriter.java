package org.neguard.tuf;

import java.time.Instant;
import java.util.List;

/** Signs the online roles of a repository: what the server runs on an upload and on schedule. */
public final class RepositoryWriter {
  private RepositoryWriter() {}

  public static Published publish(RootMetadata root, OnlineKeys keys, List<TargetFile> targets,
      Versions previous, Expiries expiries) {
    throw new UnsupportedOperationException("todo");
  }

  public static Published renewTimestamp(RootMetadata root, OnlineKeys keys, Published current,
      Instant timestampExpires) {
    throw new UnsupportedOperationException("todo");
  }

  public static Published renewSnapshot(RootMetadata root, OnlineKeys keys, Published current,
      Instant snapshotExpires, Instant timestampExpires) {
    throw new UnsupportedOperationException("todo");
  }

  public static boolean needsRenewal(Instant issued, Instant expires, Instant now) {
    throw new UnsupportedOperationException("todo");
  }
}
