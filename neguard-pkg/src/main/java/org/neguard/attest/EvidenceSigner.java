package org.neguard.attest;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.Base64;
import org.neguard.pki.Curves;

/**
 * Signs evidence with the device's key (the key of its enrollment certificate): a JWS in
 * compact serialization (RFC 7515), RS256 for an RSA key, ES256 for a P-256 key, {@code typ}
 * {@value #TYPE}.
 *
 * <p>The signature is the JDK's: {@code SHA256withRSA}, and {@code SHA256withECDSAinP1363Format},
 * whose R || S is the form JWS carries (RFC 7518 section 3.4), so nothing here converts an
 * encoding. The agent signs evidence while it idles; a JOSE library would load its own JSON
 * parser into every NE's memory for three fixed strings. The JCA picks the provider at the first
 * signature: the JDK's for a software key, the agent's TPM provider for a TPM-held one, which
 * offers the same signature name. {@code EvidenceVerifier} and the JDK's own ECDSA check the
 * result ({@code EvidenceTest}).
 *
 * <p>Immutable and thread-safe: each signature gets its own {@link Signature}.
 */
public final class EvidenceSigner {
  /** The JOSE type of signed evidence. */
  public static final String TYPE = "neguard-evidence+jws";

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String ECDSA = "SHA256withECDSAinP1363Format";

  private final PrivateKey key;
  private final String algorithm;
  private final String encodedHeader;

  private EvidenceSigner(PrivateKey key, String algorithm, String jwsAlgorithm) {
    this.key = key;
    this.algorithm = algorithm;
    this.encodedHeader = B64.encodeToString(("{\"alg\":\"" + jwsAlgorithm + "\",\"typ\":\""
        + TYPE + "\"}").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A signer with the device's private key.
   *
   * @throws IllegalArgumentException if the key is neither RSA of at least 2048 bits nor EC on
   *     P-256 (an EC key whose parameters are not visible, a TPM-held one, is taken as P-256: its
   *     provider signs only P-256)
   */
  public static EvidenceSigner of(PrivateKey key) {
    if (key instanceof RSAPrivateKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) {
        throw new IllegalArgumentException("the device key cannot sign evidence: an RSA key of "
            + rsa.getModulus().bitLength() + " bits, not at least 2048");
      }
      return new EvidenceSigner(key, "SHA256withRSA", "RS256");
    }
    if (key instanceof ECPrivateKey ec) {
      if (!Curves.isP256(ec.getParams())) {
        throw new IllegalArgumentException("the device key cannot sign evidence: an EC key not"
            + " on P-256");
      }
      return new EvidenceSigner(key, ECDSA, "ES256");
    }
    if (key != null && "EC".equals(key.getAlgorithm())) {
      return new EvidenceSigner(key, ECDSA, "ES256");
    }
    throw new IllegalArgumentException("the device key is "
        + (key == null ? null : key.getAlgorithm()) + ", not RSA or EC");
  }

  /**
   * The signed evidence, compact serialization.
   *
   * @throws IllegalStateException if no provider signs with the key, or its provider failed
   */
  public String sign(Evidence evidence) {
    String input = encodedHeader + "." + B64.encodeToString(EvidenceEncoder.encode(evidence));
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      byte[] signature = s.sign();
      // A provider's EC key whose curve could not be checked in of(): ES256 is P-256's 64 bytes,
      // anything else would be sent as ES256 and refused by the verifier, so it is refused here.
      if (algorithm.equals(ECDSA) && signature.length != 64) {
        throw new IllegalStateException("signing evidence failed: the key's ECDSA signature is "
            + signature.length + " bytes, not ES256's 64 (a key not on P-256)");
      }
      return input + "." + B64.encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing evidence failed: " + e.getMessage(), e);
    }
  }
}
