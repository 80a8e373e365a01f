package org.neguard.server.attest;

import java.util.Collections;

/** SQL text shared by this package's statements. Thread-safe (no state). */
final class Sql {
  private Sql() {}

  /**
   * {@code n} JDBC parameter markers for an {@code IN (...)} list: {@code "?, ?, ?"} for 3.
   * Fewer than one is refused: {@code IN ()} is no SQL, and a caller with nothing to look up
   * has no statement to run.
   */
  static String placeholders(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n < 1: " + n);
    }
    return String.join(", ", Collections.nCopies(n, "?"));
  }
}
