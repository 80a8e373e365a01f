package org.neguard.tuf;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * Where the client fetches from, where it keeps what it trusts, and its limits. Every file is
 * read with a limit, counted while reading: the role above gives a length, else these maximums
 * (the specification's "Y bytes" and "Z bytes") apply.
 *
 * @param metadataBase the metadata directory's URL, ending in "/" ({@code B/metadata/})
 * @param targetsBase the targets directory's URL, ending in "/" ({@code B/targets/})
 * @param stateDir where the trusted metadata is kept
 * @param fetcher how files are fetched
 * @param clock the time a refresh fixes at its start (5.1)
 * @param maxRootRotations how many newer roots one refresh follows at most
 * @param maxRootBytes the most a root file may have
 * @param maxTimestampBytes the most timestamp.json may have
 * @param maxSnapshotBytes the most a snapshot may have when the timestamp gives no length
 * @param maxTargetsBytes the most targets metadata may have when the snapshot gives no length
 * @param maxTargetBytes the most a target file may have, whatever its entry says
 */
public record ClientConfig(URI metadataBase, URI targetsBase, Path stateDir, Fetcher fetcher,
    Clock clock, int maxRootRotations, long maxRootBytes, long maxTimestampBytes,
    long maxSnapshotBytes, long maxTargetsBytes, long maxTargetBytes) {
  public static final int DEFAULT_MAX_ROOT_ROTATIONS = 256;
  public static final long DEFAULT_MAX_ROOT_BYTES = 512L * 1024;
  public static final long DEFAULT_MAX_TIMESTAMP_BYTES = 16L * 1024;
  public static final long DEFAULT_MAX_SNAPSHOT_BYTES = 4L * 1024 * 1024;
  public static final long DEFAULT_MAX_TARGETS_BYTES = 32L * 1024 * 1024;
  public static final long DEFAULT_MAX_TARGET_BYTES = 4L * 1024 * 1024 * 1024;

  /** Adds the trailing "/" to the bases; @throws IllegalArgumentException for a limit below 1 */
  public ClientConfig {
    metadataBase = directory(Objects.requireNonNull(metadataBase, "metadataBase"));
    targetsBase = directory(Objects.requireNonNull(targetsBase, "targetsBase"));
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(fetcher, "fetcher");
    Objects.requireNonNull(clock, "clock");
    if (maxRootRotations < 1 || maxRootBytes < 1 || maxTimestampBytes < 1
        || maxSnapshotBytes < 1 || maxTargetsBytes < 1 || maxTargetBytes < 0) {
      throw new IllegalArgumentException("a client limit is below 1");
    }
  }

  private static URI directory(URI uri) {
    String s = uri.toString();
    return s.endsWith("/") ? uri : URI.create(s + "/");
  }

  /** The defaults: 256 root rotations; 512 KiB, 16 KiB, 4 MiB, 32 MiB, 4 GiB; the UTC clock. */
  public static ClientConfig of(URI metadataBase, URI targetsBase, Path stateDir,
      Fetcher fetcher) {
    return new ClientConfig(metadataBase, targetsBase, stateDir, fetcher, Clock.systemUTC(),
        DEFAULT_MAX_ROOT_ROTATIONS, DEFAULT_MAX_ROOT_BYTES, DEFAULT_MAX_TIMESTAMP_BYTES,
        DEFAULT_MAX_SNAPSHOT_BYTES, DEFAULT_MAX_TARGETS_BYTES, DEFAULT_MAX_TARGET_BYTES);
  }

  /** {@code repository/metadata/} and {@code repository/targets/}, with the defaults. */
  public static ClientConfig forRepository(URI repository, Path stateDir, Fetcher fetcher) {
    URI base = directory(Objects.requireNonNull(repository, "repository"));
    return of(base.resolve(RepositoryLayout.METADATA + "/"),
        base.resolve(RepositoryLayout.TARGETS + "/"), stateDir, fetcher);
  }

  public ClientConfig withClock(Clock clock) {
    return new ClientConfig(metadataBase, targetsBase, stateDir, fetcher, clock,
        maxRootRotations, maxRootBytes, maxTimestampBytes, maxSnapshotBytes, maxTargetsBytes,
        maxTargetBytes);
  }

  public ClientConfig withMaxRootRotations(int n) {
    return new ClientConfig(metadataBase, targetsBase, stateDir, fetcher, clock, n,
        maxRootBytes, maxTimestampBytes, maxSnapshotBytes, maxTargetsBytes, maxTargetBytes);
  }

  public ClientConfig withMaxTargetBytes(long n) {
    return new ClientConfig(metadataBase, targetsBase, stateDir, fetcher, clock,
        maxRootRotations, maxRootBytes, maxTimestampBytes, maxSnapshotBytes, maxTargetsBytes, n);
  }

  /** The same with other metadata limits (tests of endless data; small devices). */
  public ClientConfig withMetadataLimits(long rootBytes, long timestampBytes, long snapshotBytes,
      long targetsBytes) {
    return new ClientConfig(metadataBase, targetsBase, stateDir, fetcher, clock,
        maxRootRotations, rootBytes, timestampBytes, snapshotBytes, targetsBytes,
        maxTargetBytes);
  }
}
