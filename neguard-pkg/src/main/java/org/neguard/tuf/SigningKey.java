package org.neguard.tuf;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Objects;

/**
 * A private key with its public TUF key: what signs metadata.
 *
 * @param key the public half, as root lists it
 * @param privateKey the matching private key (Ed25519, or EC on P-256)
 */
public record SigningKey(TufKey key, PrivateKey privateKey) {
  /** @throws IllegalArgumentException when the private key is not the public key's other half */
  public SigningKey {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(privateKey, "privateKey");
    if (!TufKey.of(TufKeyFiles.publicKeyOf(privateKey)).equals(key)) {
      throw new IllegalArgumentException(
          "the private key is not the other half of the public key " + key.keyId());
    }
  }

  /** A new key of {@code type}. */
  public static SigningKey generate(KeyType type) {
    return of(type.generate());
  }

  public static SigningKey of(KeyPair pair) {
    return new SigningKey(TufKey.of(pair.getPublic()), pair.getPrivate());
  }

  public String keyId() {
    return key.keyId();
  }

  /** Ed25519: the 64 raw signature bytes; ECDSA: SHA256withECDSA, DER. */
  public byte[] sign(byte[] data) {
    try {
      java.security.Signature s = java.security.Signature.getInstance(
          key.type() == KeyType.ED25519 ? "Ed25519" : "SHA256withECDSA");
      s.initSign(privateKey);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing with key " + key.keyId() + " failed", e);
    }
  }

  @Override
  public String toString() {
    return "SigningKey[" + key.type() + " " + key.keyId() + "]";
  }
}
