package org.neguard.tuf;

import java.util.Objects;

/**
 * One signature of a metadata file.
 *
 * @param keyid the signing key's id
 * @param sig the signature in lower-case hex (Ed25519: 64 raw bytes; ECDSA: DER)
 */
public record Signature(String keyid, String sig) {
  public Signature {
    Objects.requireNonNull(keyid, "keyid");
    Objects.requireNonNull(sig, "sig");
  }
}
