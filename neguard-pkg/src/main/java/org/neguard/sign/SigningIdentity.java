package org.neguard.sign;

import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.operator.ContentSigner;
import org.neguard.verdict.RefusalException;

/**
 * Who signs, and the means to sign, without exposing where the key lives. A software key
 * ({@link KeyMaterial}) and a PKCS#11 HSM are both identities; signing code depends only on this.
 *
 * <p>Implementations must be safe for use by one thread at a time.
 */
public interface SigningIdentity {
  /** The signer's certificate. */
  X509Certificate certificate();

  /** Intermediate CA certificates to embed, signer's issuer first; may be empty. */
  List<X509Certificate> chain();

  /**
   * A fresh content signer for one signature.
   *
   * @throws RefusalException with an error code if the key cannot sign (wrong algorithm, HSM
   *     unreachable)
   */
  ContentSigner newContentSigner() throws RefusalException;
}
