package org.neguard.tuf;

import java.security.KeyPair;
import java.security.PrivateKey;

/** A private key with its public TUF key. */
public record SigningKey(TufKey key, PrivateKey privateKey) {
  public static SigningKey generate(KeyType type) {
    throw new UnsupportedOperationException("todo");
  }

  public static SigningKey of(KeyPair pair) {
    throw new UnsupportedOperationException("todo");
  }

  public String keyId() {
    return key.keyId();
  }

  public byte[] sign(byte[] data) {
    throw new UnsupportedOperationException("todo");
  }
}
