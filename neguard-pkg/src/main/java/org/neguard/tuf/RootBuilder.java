package org.neguard.tuf;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Assembles a root from public keys only: each root key holder makes their key on their own
 * machine and hands over the public key file, and the unsigned root this builds is then signed by
 * each holder in turn ({@link Metadata#sign}). Nothing here ever sees a private key.
 *
 * <p>Not thread-safe; one builder per root.
 */
public final class RootBuilder {
  private int version;
  private final Instant expires;
  private final Map<Role, List<TufKey>> keys = new EnumMap<>(Role.class);
  private final Map<Role, Integer> thresholds = new EnumMap<>(Role.class);

  private RootBuilder(int version, Instant expires) {
    this.version = version;
    this.expires = Objects.requireNonNull(expires, "expires");
  }

  /** A version-1 root expiring at {@code expires}; consistent_snapshot is true. */
  public static RootBuilder create(Instant expires) {
    return new RootBuilder(1, expires);
  }

  /**
   * The next root after {@code current}: version + 1, the same keys and thresholds until
   * {@link #role} changes them. It must be signed by {@code current}'s root threshold and by its
   * own ({@link RootChain#checkStep}).
   */
  public static RootBuilder next(RootMetadata current, Instant expires) {
    RootBuilder b = new RootBuilder(current.version() + 1, expires);
    for (Role r : Role.values()) {
      b.keys.put(r, current.keysOf(r));
      b.thresholds.put(r, current.role(r).threshold());
    }
    return b;
  }

  /**
   * Sets a role's keys and threshold, replacing what the role had.
   *
   * @throws IllegalArgumentException for no keys, the same key twice, or a threshold below 1 or
   *     above the number of keys
   */
  public RootBuilder role(Role role, List<TufKey> roleKeys, int threshold) {
    Objects.requireNonNull(role, "role");
    List<TufKey> copy = List.copyOf(roleKeys);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("role " + role.roleName() + " has no keys");
    }
    Set<String> ids = new HashSet<>();
    for (TufKey k : copy) {
      if (!ids.add(k.keyId())) {
        throw new IllegalArgumentException("role " + role.roleName() + " lists key "
            + k.keyId() + " twice: a threshold counts distinct keys");
      }
    }
    if (threshold < 1 || threshold > copy.size()) {
      throw new IllegalArgumentException("threshold " + threshold + " of role "
          + role.roleName() + " is not between 1 and its " + copy.size() + " keys");
    }
    keys.put(role, copy);
    thresholds.put(role, threshold);
    return this;
  }

  /** Sets the version (tests; a root chain always goes up by one). */
  public RootBuilder version(int version) {
    if (version < 1) {
      throw new IllegalArgumentException("version " + version + " < 1");
    }
    this.version = version;
    return this;
  }

  /** @throws IllegalArgumentException when a role has no keys yet */
  public RootMetadata build() {
    Map<String, TufKey> all = new LinkedHashMap<>();
    Map<Role, RoleKeys> roles = new EnumMap<>(Role.class);
    for (Role r : Role.values()) {
      List<TufKey> k = keys.get(r);
      if (k == null) {
        throw new IllegalArgumentException("role " + r.roleName() + " has no keys yet");
      }
      List<String> ids = new ArrayList<>();
      for (TufKey key : k) {
        all.put(key.keyId(), key);
        ids.add(key.keyId());
      }
      roles.put(r, new RoleKeys(ids, thresholds.get(r)));
    }
    return new RootMetadata(version, expires, true, all, roles);
  }
}
