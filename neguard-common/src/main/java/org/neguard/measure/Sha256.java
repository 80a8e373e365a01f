package org.neguard.measure;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one digest NEGuard uses everywhere: new digests and lower-case hex. */
public final class Sha256 {
  private Sha256() {}

  /** A fresh SHA-256 digest. Every Java platform has one (the JCA requires it). */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform has SHA-256", e);
    }
  }

  /** The SHA-256 of {@code data}, as 64 lower-case hex digits. */
  public static String hex(byte[] data) {
    return HexFormat.of().formatHex(newDigest().digest(data));
  }
}
