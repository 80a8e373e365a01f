package org.neguard.harden;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an input file no further than its limit. A size taken before reading says nothing about a
 * pipe ({@code /dev/stdin} reports 0) or a file that grows meanwhile, so the limit is applied
 * while reading: memory is never spent past it.
 */
public final class BoundedRead {
  private BoundedRead() {}

  /**
   * The first bytes of {@code file}, at most {@code max + 1} of them.
   *
   * @return the whole file when it holds at most {@code max} bytes; otherwise an array of
   *     {@code max + 1} bytes, which callers refuse as too large
   * @throws IllegalArgumentException when {@code max} is negative or {@code Integer.MAX_VALUE}
   * @throws IOException when the file cannot be read
   */
  public static byte[] atMost(Path file, int max) throws IOException {
    if (max < 0 || max == Integer.MAX_VALUE) {
      throw new IllegalArgumentException("max out of range: " + max);
    }
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(max + 1);
    }
  }
}
