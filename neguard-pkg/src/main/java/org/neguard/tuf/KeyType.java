package org.neguard.tuf;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import org.neguard.pki.Curves;

/**
 * The two key types a NEGuard repository signs with, each with its TUF {@code keytype} and
 * {@code scheme} (as python-tuf, go-tuf and tuf-js name them).
 */
public enum KeyType {
  /** Ed25519: {@code keyval.public} is the raw 32-byte key in lower-case hex. */
  ED25519("ed25519", "ed25519"),
  /** ECDSA on P-256 with SHA-256: {@code keyval.public} is a PEM SubjectPublicKeyInfo. */
  ECDSA_P256("ecdsa", "ecdsa-sha2-nistp256");

  private final String keytype;
  private final String scheme;

  KeyType(String keytype, String scheme) {
    this.keytype = keytype;
    this.scheme = scheme;
  }

  public String keytype() {
    return keytype;
  }

  public String scheme() {
    return scheme;
  }

  /** A new key pair of this type, from the JDK's own providers and a strong random source. */
  public KeyPair generate() {
    try {
      if (this == ED25519) {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      }
      return Curves.newP256KeyPair(new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate a " + this + " key", e);
    }
  }

  /**
   * The type a TUF key names.
   *
   * @throws IllegalArgumentException for any other pair (RSA, P-384, a scheme that does not
   *     match its keytype)
   */
  public static KeyType of(String keytype, String scheme) {
    for (KeyType t : values()) {
      if (t.keytype.equals(keytype) && t.scheme.equals(scheme)) {
        return t;
      }
    }
    throw new IllegalArgumentException("key type " + keytype + " with scheme " + scheme
        + " is not supported; keys are ed25519/ed25519 or ecdsa/ecdsa-sha2-nistp256");
  }
}
