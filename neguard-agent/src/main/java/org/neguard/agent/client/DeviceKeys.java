package org.neguard.agent.client;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;

/**
 * Where a device's identity key is made and kept: by default a PKCS#8 file of mode 0600 in the
 * identity directory, named by the public key ({@code device-<id>.key}, {@link
 * DeviceIdentity#keyFile}); with {@code tpm.deviceKey=true}, the agent's TPM, whose private key
 * never exists outside it (docs/AGENT.md, "A TPM-held device key"). A key held elsewhere is a
 * {@link PrivateKey} whose {@code getEncoded()} is null: {@link DeviceIdentity#save} then writes
 * no key file.
 */
public interface DeviceKeys {
  /** Generates here, in software: the private key is saved as {@code device-<id>.key}. */
  DeviceKeys FILE = new DeviceKeys() {
    @Override
    public KeyPair newKeyPair() {
      return DeviceIdentity.newKeyPair();
    }

    @Override
    public PrivateKey privateKey(Path dir, PublicKey key) throws IOException {
      return DeviceIdentity.fileKey(dir, key);
    }
  };

  /**
   * A new key pair for an enrollment or a renewal. A key held elsewhere is kept durably before
   * this returns (a renewal's pending key must survive a crash).
   */
  KeyPair newKeyPair() throws IOException;

  /**
   * The private key of {@code key} (the device certificate's, or a pending renewal's) kept in
   * {@code dir}, proven to be that key's.
   *
   * @throws IOException it is missing, unreadable, not {@code key}'s, or refused by its holder
   *     (the message says why and what the operator does)
   */
  PrivateKey privateKey(Path dir, PublicKey key) throws IOException;

  /**
   * Whether {@code e}, thrown by {@link #privateKey}, says the key is gone for good (missing,
   * unreadable, not the key asked for) rather than that its holder failed this time (a TPM not
   * reachable or not signing). A renewal's pending key is discarded only when lost: the server
   * takes a renewal retried with the old certificate only for the pending key it certified.
   */
  default boolean lost(IOException e) {
    return e instanceof IdentityException;
  }
}
