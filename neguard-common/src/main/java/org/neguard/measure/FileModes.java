package org.neguard.measure;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** POSIX permission bits to and from the JDK's permission sets. */
public final class FileModes {
  private FileModes() {}

  /** The permission bits of {@code permissions}, for example {@code 0755}. */
  public static int bits(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission p : permissions) {
      mode |= bit(p);
    }
    return mode;
  }

  /** The permission set of the low nine bits of {@code mode}. */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : PosixFilePermission.values()) {
      if ((mode & bit(p)) != 0) {
        perms.add(p);
      }
    }
    return perms;
  }

  // The enum runs OWNER_READ (0400) down to OTHERS_EXECUTE (0001).
  private static int bit(PosixFilePermission p) {
    return 1 << (8 - p.ordinal());
  }
}
