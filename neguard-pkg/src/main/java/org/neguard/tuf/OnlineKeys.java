package org.neguard.tuf;

/** The server's online keys, one per online role. */
public record OnlineKeys(SigningKey targets, SigningKey snapshot, SigningKey timestamp) {
  public SigningKey of(Role role) {
    throw new UnsupportedOperationException("todo");
  }
}
