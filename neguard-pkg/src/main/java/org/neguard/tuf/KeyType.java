package org.neguard.tuf;

import java.security.KeyPair;

/** The two key types a NEGuard repository signs with. */
public enum KeyType {
  ED25519("ed25519", "ed25519"),
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

  public KeyPair generate() {
    throw new UnsupportedOperationException("todo");
  }

  public static KeyType of(String keytype, String scheme) {
    throw new UnsupportedOperationException("todo");
  }
}
