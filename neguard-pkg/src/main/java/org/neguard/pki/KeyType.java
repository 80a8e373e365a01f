package org.neguard.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;

/** Key types NEGuard signs with. */
public enum KeyType {
  EC_P256,
  RSA_2048,
  RSA_3072,
  ED25519;

  /** Generates a fresh key pair of this type. */
  public KeyPair generate() {
    try {
      KeyPairGenerator g;
      switch (this) {
        case EC_P256 -> {
          return Curves.newP256KeyPair(null);
        }
        case RSA_2048 -> {
          g = KeyPairGenerator.getInstance("RSA");
          g.initialize(2048);
        }
        case RSA_3072 -> {
          g = KeyPairGenerator.getInstance("RSA");
          g.initialize(3072);
        }
        case ED25519 -> g = KeyPairGenerator.getInstance("Ed25519");
        default -> throw new AssertionError(this);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate a " + this + " key", e);
    }
  }
}
