package org.neguard.agent;

import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * A handle to the device's ECDSA P-256 key inside the TPM ({@link TpmDeviceKey}): it holds no
 * private material, so it has no encoding ({@code getEncoded()} is null, and nothing can write
 * it to a file). Only {@link TpmKeyProvider}'s signature accepts it; the JDK's own providers do
 * not, so the JCA's delayed provider selection routes its signatures to the TPM.
 */
public final class TpmPrivateKey implements PrivateKey {
  private static final long serialVersionUID = 1L;

  /** Not serializable in any useful way: a handle to this process's TPM connection. */
  private final transient TpmDeviceKey holder;
  private final String id;
  private final ECPublicKey publicKey;

  TpmPrivateKey(TpmDeviceKey holder, String id, ECPublicKey publicKey) {
    this.holder = holder;
    this.id = id;
    this.publicKey = publicKey;
  }

  TpmDeviceKey holder() {
    return holder;
  }

  /** The name of the key's blobs in the identity directory. */
  String id() {
    return id;
  }

  /** The public part, as the TPM reported it. */
  public ECPublicKey publicKey() {
    return publicKey;
  }

  @Override
  public String getAlgorithm() {
    return "EC"; // what JSSE matches a client certificate's key type against
  }

  @Override
  public String getFormat() {
    return null;
  }

  @Override
  public byte[] getEncoded() {
    return null;
  }

  @Override
  public String toString() {
    return "TPM-held EC P-256 key " + id;
  }
}
