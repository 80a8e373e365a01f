package org.neguard.tuf;

/** The four top-level TUF roles. */
public enum Role {
  ROOT, TARGETS, SNAPSHOT, TIMESTAMP;

  public String roleName() {
    throw new UnsupportedOperationException("todo");
  }

  public String fileName(int version) {
    throw new UnsupportedOperationException("todo");
  }

  public static Role of(String roleName) {
    throw new UnsupportedOperationException("todo");
  }
}
