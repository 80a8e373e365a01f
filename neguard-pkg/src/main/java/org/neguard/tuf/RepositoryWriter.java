package org.neguard.tuf;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Signs the online roles of a repository: what the server runs on an upload or a root change
 * ({@link #publish}: targets, snapshot and timestamp in one step) and on its schedule
 * ({@link #renewTimestamp}, {@link #renewSnapshot}). Pure: it returns bytes and writes nothing;
 * the caller stores and serves them.
 */
public final class RepositoryWriter {
  private RepositoryWriter() {}

  /**
   * New targets (version previous.targets + 1) listing exactly {@code targets}, a snapshot
   * (previous.snapshot + 1) over it and a timestamp (previous.timestamp + 1) over that.
   *
   * @throws IllegalArgumentException when a key is not one {@code root} lists for its role, a
   *     role's threshold is above 1 (one online key cannot meet it), or a target name repeats
   */
  public static Published publish(RootMetadata root, OnlineKeys keys, List<TargetFile> targets,
      Versions previous, Expiries expiries) {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(expiries, "expiries");
    checkKey(root, keys, Role.TARGETS);
    Map<String, TargetFile> byName = new LinkedHashMap<>();
    for (TargetFile t : targets) {
      if (byName.put(t.name(), t) != null) {
        throw new IllegalArgumentException("target " + t.name() + " is listed twice");
      }
    }
    Metadata signedTargets = new TargetsMetadata(previous.targets() + 1, expiries.targets(),
        byName).toMetadata().sign(keys.targets());
    return snapshotAndTimestamp(root, keys, signedTargets, previous.snapshot() + 1,
        expiries.snapshot(), previous.timestamp() + 1, expiries.timestamp());
  }

  /**
   * A new timestamp (version current's + 1) over the same snapshot: the schedule's job, so
   * that clients keep accepting the repository without any upload.
   */
  public static Published renewTimestamp(RootMetadata root, OnlineKeys keys, Published current,
      Instant timestampExpires) {
    Objects.requireNonNull(current, "current");
    Metadata ts = timestamp(root, keys, current.snapshot(), current.timestamp().version() + 1,
        timestampExpires);
    return new Published(current.targets(), current.snapshot(), ts);
  }

  /** A new snapshot (version + 1) over the same targets, and a new timestamp (+ 1) over it. */
  public static Published renewSnapshot(RootMetadata root, OnlineKeys keys, Published current,
      Instant snapshotExpires, Instant timestampExpires) {
    Objects.requireNonNull(current, "current");
    return snapshotAndTimestamp(root, keys, current.targets(),
        current.snapshot().version() + 1, snapshotExpires, current.timestamp().version() + 1,
        timestampExpires);
  }

  /**
   * Whether a role issued at {@code issued} and expiring at {@code expires} is to be renewed at
   * {@code now}: when less than half of its life is left.
   */
  public static boolean needsRenewal(Instant issued, Instant expires, Instant now) {
    Duration life = Duration.between(issued, expires);
    return !now.isBefore(issued.plus(life.dividedBy(2)));
  }

  private static Published snapshotAndTimestamp(RootMetadata root, OnlineKeys keys,
      Metadata targets, int snapshotVersion, Instant snapshotExpires, int timestampVersion,
      Instant timestampExpires) {
    checkKey(root, keys, Role.SNAPSHOT);
    Metadata snapshot = new SnapshotMetadata(snapshotVersion, snapshotExpires,
        Map.of(SnapshotMetadata.TARGETS_JSON, MetaFile.of(targets.version(), targets.toBytes())))
        .toMetadata().sign(keys.snapshot());
    return new Published(targets, snapshot,
        timestamp(root, keys, snapshot, timestampVersion, timestampExpires));
  }

  private static Metadata timestamp(RootMetadata root, OnlineKeys keys, Metadata snapshot,
      int version, Instant expires) {
    checkKey(root, keys, Role.TIMESTAMP);
    return new TimestampMetadata(version, expires,
        MetaFile.of(snapshot.version(), snapshot.toBytes())).toMetadata().sign(keys.timestamp());
  }

  /** A key the root does not list would publish metadata every client refuses: fail here. */
  private static void checkKey(RootMetadata root, OnlineKeys keys, Role role) {
    RoleKeys rk = root.role(role);
    String id = keys.of(role).keyId();
    if (!rk.keyids().contains(id)) {
      throw new IllegalArgumentException("the " + role.roleName() + " key " + id
          + " is not one root version " + root.version() + " lists for " + role.roleName()
          + " " + rk.keyids() + "; publish a root naming it first");
    }
    if (rk.threshold() > 1) {
      throw new IllegalArgumentException("root version " + root.version() + " requires "
          + rk.threshold() + " signatures for " + role.roleName()
          + "; the server signs online roles with one key");
    }
  }
}
