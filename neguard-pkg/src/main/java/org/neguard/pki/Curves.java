package org.neguard.pki;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;

/**
 * The one elliptic curve NEGuard signs with, P-256 ({@link KeyType#EC_P256}): for the keys of TUF
 * metadata and the devices' evidence keys, which may come from any provider (a file, a TPM).
 *
 * <p>Thread-safe: the parameters are read once.
 */
public final class Curves {
  private static final ECParameterSpec P256 = p256Spec();

  private Curves() {}

  private static ECParameterSpec p256Spec() {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has P-256", e);
    }
  }

  /** P-256's parameters, as the JDK's provider gives them. */
  public static ECParameterSpec p256() {
    return P256;
  }

  /**
   * Whether {@code spec} is P-256. Another provider's object for the same curve is not the JDK's,
   * so the curve, generator, order and cofactor are compared by value. False for null.
   */
  public static boolean isP256(ECParameterSpec spec) {
    return spec != null
        && spec.getCurve().equals(P256.getCurve())
        && spec.getGenerator().equals(P256.getGenerator())
        && spec.getOrder().equals(P256.getOrder())
        && spec.getCofactor() == P256.getCofactor();
  }
}
