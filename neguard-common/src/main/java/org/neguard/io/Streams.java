package org.neguard.io;

import java.io.IOException;
import java.io.InputStream;

/** Small pieces every stream wrapper needs. */
public final class Streams {
  private Streams() {}

  /**
   * {@link InputStream#read()} through {@code in}'s own {@code read(byte[], int, int)}: a wrapper
   * that counts, bounds or checks bytes there overrides {@code read()} with this, so that no
   * byte passes around its checks.
   */
  public static int readOne(InputStream in) throws IOException {
    byte[] one = new byte[1];
    int n = in.read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }
}
