package org.neguard.tuf;

import java.util.Objects;

/** The server's online keys, one per online role. */
public record OnlineKeys(SigningKey targets, SigningKey snapshot, SigningKey timestamp) {
  public OnlineKeys {
    Objects.requireNonNull(targets, "targets");
    Objects.requireNonNull(snapshot, "snapshot");
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** @throws IllegalArgumentException for ROOT: the root keys are never online */
  public SigningKey of(Role role) {
    return switch (role) {
      case TARGETS -> targets;
      case SNAPSHOT -> snapshot;
      case TIMESTAMP -> timestamp;
      case ROOT -> throw new IllegalArgumentException("root keys are offline, never online keys");
    };
  }
}
