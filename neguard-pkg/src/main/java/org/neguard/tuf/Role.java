package org.neguard.tuf;

import java.util.Locale;

/** The four top-level TUF roles (a NEGuard repository delegates nothing). */
public enum Role {
  ROOT, TARGETS, SNAPSHOT, TIMESTAMP;

  /** The role's name in metadata: "root", "targets", "snapshot", "timestamp". */
  public String roleName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The role's file name with consistent snapshots: {@code N.root.json},
   * {@code N.targets.json}, {@code N.snapshot.json}; {@code timestamp.json} has no version.
   *
   * @throws IllegalArgumentException for a version below 1
   */
  public String fileName(int version) {
    if (this == TIMESTAMP) {
      return "timestamp.json";
    }
    if (version < 1) {
      throw new IllegalArgumentException("version " + version + " < 1 for " + roleName());
    }
    return version + "." + roleName() + ".json";
  }

  /** @throws IllegalArgumentException for a name that is none of the four */
  public static Role of(String roleName) {
    for (Role r : values()) {
      if (r.roleName().equals(roleName)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no TUF role is called " + Shown.shown(roleName)
        + "; roles are root, targets, snapshot, timestamp");
  }
}
