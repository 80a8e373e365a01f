package org.neguard.pki;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
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

  /**
   * A new P-256 key pair for a key that lives (a CA, a signing or TUF key): from the first
   * provider of EC key pairs other than the TLS key exchange's ({@link TlsKeyExchange}, which
   * the server puts first for its sessions' keys), so the JDK's unless the JVM is configured
   * otherwise.
   *
   * @param random the randomness, or null for the provider's own
   */
  public static KeyPair newP256KeyPair(SecureRandom random) {
    for (Provider p : Security.getProviders("KeyPairGenerator.EC")) {
      if (!p.getName().equals(TlsKeyExchange.NAME)) {
        try {
          KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
          if (random == null) {
            g.initialize(new ECGenParameterSpec("secp256r1"));
          } else {
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
          }
          return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException(p.getName() + " cannot generate a P-256 key pair", e);
        }
      }
    }
    throw new IllegalStateException("no provider of P-256 key pairs in this JVM");
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
