package org.neguard.server.device;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The one order in which a transaction locks several devices' rows: Java's string order of their
 * ids ({@link String#compareTo}). The last-seen batch, a deployment's targets, the attestation
 * expiry, recovery campaigns and a deployment round's per-device work all take devices' rows in
 * this order, so that no two of them wait for each other in a cycle. Not {@code ORDER BY id}: the
 * database sorts by its collation, and under {@code en_US} ids such as {@code a1} and {@code B1}
 * sort the other way round (and under glibc's {@code en_US}, which ignores punctuation, {@code
 * ne-10} and {@code ne1} too). Thread-safe (no state).
 */
public final class DeviceRows {
  private DeviceRows() {}

  /**
   * Locks the rows of {@code ids} ({@code FOR UPDATE}) to the end of the caller's transaction,
   * one statement a device, in Java's string order; ids given twice are locked once.
   *
   * @return the ids whose rows exist, in that order
   */
  public static List<String> lockInOrder(JdbcClient jdbc, Collection<String> ids) {
    return ids.stream().distinct().sorted()
        .map(id -> jdbc.sql("SELECT id FROM devices WHERE id = ? FOR UPDATE").param(id)
            .query(String.class).optional())
        .flatMap(Optional::stream)
        .toList();
  }
}
