package org.neguard.tuf;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;

/** Where the client fetches from, where it keeps what it trusts, and its limits. */
public record ClientConfig(URI metadataBase, URI targetsBase, Path stateDir, Fetcher fetcher,
    Clock clock, int maxRootRotations, long maxRootBytes, long maxTimestampBytes,
    long maxSnapshotBytes, long maxTargetsBytes, long maxTargetBytes) {
  public static final int DEFAULT_MAX_ROOT_ROTATIONS = 256;

  public static ClientConfig of(URI metadataBase, URI targetsBase, Path stateDir,
      Fetcher fetcher) {
    throw new UnsupportedOperationException("todo");
  }

  public static ClientConfig forRepository(URI repository, Path stateDir, Fetcher fetcher) {
    throw new UnsupportedOperationException("todo");
  }

  public ClientConfig withClock(Clock clock) {
    throw new UnsupportedOperationException("todo");
  }

  public ClientConfig withMaxRootRotations(int n) {
    throw new UnsupportedOperationException("todo");
  }

  public ClientConfig withMaxTargetBytes(long n) {
    throw new UnsupportedOperationException("todo");
  }
}
