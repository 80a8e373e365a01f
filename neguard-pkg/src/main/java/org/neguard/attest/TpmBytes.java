package org.neguard.attest;

import java.nio.ByteBuffer;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Reading TPM 2.0 structures: sized fields, their size bounded before anything is allocated. */
final class TpmBytes {
  private TpmBytes() {}

  /**
   * A TPM2B field: a 16-bit big-endian size, then that many bytes.
   *
   * @param structure what is being read, for the message ({@code "TPM quote"})
   * @throws RefusalException MALFORMED if the size is above {@code max}
   * @throws java.nio.BufferUnderflowException if the bytes end first
   */
  static byte[] sized(ByteBuffer b, int max, String field, String structure)
      throws RefusalException {
    int size = Short.toUnsignedInt(b.getShort());
    if (size > max) {
      throw new RefusalException(ReasonCode.MALFORMED, "not a " + structure + ": " + field
          + " of " + size + " bytes: at most " + max);
    }
    byte[] out = new byte[size];
    b.get(out);
    return out;
  }
}
