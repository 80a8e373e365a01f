package org.neguard.tuf;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Hex and SHA-256, shared by keys, metadata and the client. */
final class Crypto {
  static final HexFormat HEX = HexFormat.of();
  static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private Crypto() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String sha256Hex(byte[] bytes) {
    return HEX.formatHex(sha256().digest(bytes));
  }
}
