package org.neguard.tuf;

import java.util.HashSet;
import java.util.List;

/**
 * A role's key ids and threshold, as root lists them.
 *
 * @param keyids the ids of the keys that may sign for the role, no duplicates
 * @param threshold how many distinct keys must sign: 1 to keyids.size()
 */
public record RoleKeys(List<String> keyids, int threshold) {
  /** @throws IllegalArgumentException for duplicate ids or a threshold that cannot be met */
  public RoleKeys {
    keyids = List.copyOf(keyids);
    if (new HashSet<>(keyids).size() != keyids.size()) {
      throw new IllegalArgumentException("a role lists a key id twice: " + keyids);
    }
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold " + threshold + " < 1");
    }
    if (threshold > keyids.size()) {
      throw new IllegalArgumentException("threshold " + threshold + " is above the "
          + keyids.size() + " keys of the role: it could never be met");
    }
  }
}
