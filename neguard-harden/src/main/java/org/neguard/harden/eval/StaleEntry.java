package org.neguard.harden.eval;

import java.util.Objects;
import org.neguard.harden.policy.AllowedPort;

/**
 * A declared port that was not seen open: reported so the declared list can be kept accurate
 * (HRD-2), never a failure.
 *
 * @param entry the declared entry
 * @param note {@code not listening}, or why it could not be confirmed either way
 */
public record StaleEntry(AllowedPort entry, String note) {
  public StaleEntry {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(note, "note");
  }
}
