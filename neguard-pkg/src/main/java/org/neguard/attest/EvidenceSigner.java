package org.neguard.attest;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;

/**
 * Signs evidence with the device's key (the key of its enrollment certificate): a JWS in
 * compact serialization, RS256 for an RSA key, ES256 for a P-256 key, {@code typ}
 * {@value #TYPE}.
 *
 * <p>Immutable and thread-safe.
 */
public final class EvidenceSigner {
  /** The JOSE type of signed evidence. */
  public static final String TYPE = "neguard-evidence+jws";

  private final JWSSigner signer;
  private final JWSHeader header;

  private EvidenceSigner(JWSSigner signer, JWSHeader header) {
    this.signer = signer;
    this.header = header;
  }

  /**
   * A signer with the device's private key.
   *
   * @throws IllegalArgumentException if the key is neither RSA (at least 2048 bits) nor EC
   */
  public static EvidenceSigner of(PrivateKey key) {
    try {
      if (key instanceof RSAPrivateKey rsa) {
        return new EvidenceSigner(new RSASSASigner(rsa), header(JWSAlgorithm.RS256));
      }
      if (key instanceof ECPrivateKey ec) {
        return new EvidenceSigner(new ECDSASigner(ec), header(JWSAlgorithm.ES256));
      }
      if ("EC".equals(key.getAlgorithm())) {
        // A P-256 key whose private part stays in its holder (the agent's TPM-held device
        // key): signed through the JCA, the provider that accepts the key making the signature.
        return new EvidenceSigner(new ECDSASigner(key, Curve.P_256), header(JWSAlgorithm.ES256));
      }
    } catch (JOSEException | IllegalArgumentException e) {
      throw new IllegalArgumentException("the device key cannot sign evidence: "
          + e.getMessage(), e);
    }
    throw new IllegalArgumentException("the device key is " + key.getAlgorithm()
        + ", not RSA or EC");
  }

  private static JWSHeader header(JWSAlgorithm alg) {
    return new JWSHeader.Builder(alg).type(new JOSEObjectType(TYPE)).build();
  }

  /** The signed evidence, compact serialization. */
  public String sign(Evidence evidence) {
    JWSObject jws = new JWSObject(header, new Payload(EvidenceCodec.encode(evidence)));
    try {
      jws.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing evidence failed: " + e.getMessage(), e);
    }
    return jws.serialize();
  }
}
