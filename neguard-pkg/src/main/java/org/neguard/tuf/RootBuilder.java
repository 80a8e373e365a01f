package org.neguard.tuf;

import java.time.Instant;
import java.util.List;

/** Assembles a root from public keys. */
public final class RootBuilder {
  private RootBuilder() {}

  public static RootBuilder create(Instant expires) {
    throw new UnsupportedOperationException("todo");
  }

  public static RootBuilder next(RootMetadata current, Instant expires) {
    throw new UnsupportedOperationException("todo");
  }

  public RootBuilder role(Role role, List<TufKey> keys, int threshold) {
    throw new UnsupportedOperationException("todo");
  }

  public RootBuilder version(int version) {
    throw new UnsupportedOperationException("todo");
  }

  public RootMetadata build() {
    throw new UnsupportedOperationException("todo");
  }
}
