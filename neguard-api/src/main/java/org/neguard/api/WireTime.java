package org.neguard.api;

import java.time.Instant;

/**
 * Times on the wire: ISO-8601 UTC instants as text, exactly as {@link Instant#toString} writes
 * them (the form the server has always sent), so that reading them needs no date module.
 */
public final class WireTime {
  private WireTime() {}

  /** The wire text of an instant; null for null (a field left out). */
  public static String of(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  /**
   * The instant of a wire text; null for null.
   *
   * @throws java.time.format.DateTimeParseException naming the text, when it is not an instant
   */
  public static Instant parse(String text) {
    return text == null ? null : Instant.parse(text);
  }
}
