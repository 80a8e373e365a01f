package org.neguard.tuf;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import org.neguard.verdict.RefusalException;

/** Key files: encrypted PKCS#8 PEM private keys and TUF-JSON public keys. */
public final class TufKeyFiles {
  private TufKeyFiles() {}

  public static byte[] encryptPrivateKey(PrivateKey key, char[] password) {
    throw new UnsupportedOperationException("todo");
  }

  public static PrivateKey decryptPrivateKey(byte[] pem, char[] password)
      throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static void writePrivateKey(Path file, PrivateKey key, char[] password)
      throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static PrivateKey readPrivateKey(Path file, char[] password) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static SigningKey readSigningKey(Path file, char[] password) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static byte[] publicKeyJson(TufKey key) {
    throw new UnsupportedOperationException("todo");
  }

  public static void writePublicKey(Path file, TufKey key) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static TufKey readPublicKey(Path file) throws RefusalException {
    throw new UnsupportedOperationException("todo");
  }

  public static PublicKey publicKeyOf(PrivateKey key) {
    throw new UnsupportedOperationException("todo");
  }
}
