package org.neguard.tuf;

import java.util.Arrays;
import java.util.Objects;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * What one publication produced: the signed targets, snapshot and timestamp. The bytes to serve
 * are {@link Metadata#toBytes()}: canonical, so the same metadata always has the same bytes and
 * the same hash in the role above it.
 */
public record Published(Metadata targets, Metadata snapshot, Metadata timestamp) {
  /** What {@link #parse} reads at most per file (10,000 targets are about 4 MB). */
  static final long MAX_FILE = 64L * 1024 * 1024;

  public Published {
    Objects.requireNonNull(targets, "targets");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(timestamp, "timestamp");
  }

  public byte[] targetsBytes() {
    return targets.toBytes();
  }

  public byte[] snapshotBytes() {
    return snapshot.toBytes();
  }

  public byte[] timestampBytes() {
    return timestamp.toBytes();
  }

  /** {@code N.targets.json}. */
  public String targetsFileName() {
    return Role.TARGETS.fileName(targets.version());
  }

  /** {@code N.snapshot.json}. */
  public String snapshotFileName() {
    return Role.SNAPSHOT.fileName(snapshot.version());
  }

  public Versions versions() {
    return new Versions(targets.version(), snapshot.version(), timestamp.version());
  }

  /**
   * Reads back what a server stored (the bytes it serves).
   *
   * @throws RefusalException {@code MALFORMED} for a file that does not parse, is not of its
   *     role, or is not in the canonical form this library writes (its served bytes would then
   *     differ from the bytes the role above hashed)
   */
  public static Published parse(byte[] targets, byte[] snapshot, byte[] timestamp)
      throws RefusalException {
    return new Published(read(targets, Role.TARGETS), read(snapshot, Role.SNAPSHOT),
        read(timestamp, Role.TIMESTAMP));
  }

  private static Metadata read(byte[] bytes, Role role) throws RefusalException {
    Metadata md = Metadata.parse(bytes, MAX_FILE);
    if (md.role() != role) {
      throw Fields.malformed("a " + md.role().roleName() + " file is stored as " + role.roleName());
    }
    if (!Arrays.equals(md.toBytes(), bytes)) {
      throw new RefusalException(ReasonCode.MALFORMED, "the stored " + role.roleName()
          + " metadata is not in canonical form; publish again");
    }
    return md;
  }
}
