package org.neguard.tuf;

/** A snapshot or timestamp {@code meta} entry. */
public record MetaFile(int version, Long length, String sha256) {
  public static MetaFile of(int version, byte[] fileBytes) {
    throw new UnsupportedOperationException("todo");
  }
}
