package org.neguard.tuf;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Hex, SHA-256 and the P-256 curve, shared by keys, metadata and the client. */
final class Crypto {
  static final HexFormat HEX = HexFormat.of();
  static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  static final ECParameterSpec P256 = p256();

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

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has P-256", e);
    }
  }

  /** Whether spec is P-256 (any provider's object: compared by value, not identity). */
  static boolean isP256(ECParameterSpec spec) {
    return spec != null
        && spec.getCurve().equals(P256.getCurve())
        && spec.getGenerator().equals(P256.getGenerator())
        && spec.getOrder().equals(P256.getOrder())
        && spec.getCofactor() == P256.getCofactor();
  }

  static BigInteger p256Order() {
    return P256.getOrder();
  }
}
