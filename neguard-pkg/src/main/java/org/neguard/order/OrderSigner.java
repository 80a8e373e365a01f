package org.neguard.order;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.util.Objects;

/**
 * Signs deployment orders with the server's order-signing key: a JWS in compact serialization,
 * ES256, with {@code typ}, {@code cty} and {@code kid} set (docs/DEPLOYMENTS.md).
 *
 * <p>Immutable and thread-safe.
 */
public final class OrderSigner {
  private final ECDSASigner signer;
  private final JWSHeader header;

  private OrderSigner(ECDSASigner signer, JWSHeader header) {
    this.signer = signer;
    this.header = header;
  }

  /**
   * A signer with {@code key}, named {@code kid} in every order it signs.
   *
   * @param key an EC private key on P-256
   * @param kid the name verifiers know the matching public key by; not blank
   * @throws IllegalArgumentException if the key is not a P-256 key or {@code kid} is blank
   */
  public static OrderSigner of(PrivateKey key, String kid) {
    Objects.requireNonNull(key, "key");
    if (kid == null || kid.isBlank()) {
      throw new IllegalArgumentException("kid is missing or blank: verifiers find the key by it");
    }
    if (!(key instanceof ECPrivateKey ec)
        || !Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
      throw new IllegalArgumentException(
          "key is not an EC key on P-256 (ES256 is the order algorithm): " + key.getAlgorithm());
    }
    JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
        .type(OrderEnvelope.JOSE_TYPE)
        .contentType(OrderEnvelope.CONTENT_TYPE)
        .keyID(kid)
        .build();
    try {
      return new OrderSigner(new ECDSASigner(ec), header);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("key cannot sign ES256: " + e.getMessage(), e);
    }
  }

  /** The {@code kid} this signer writes. */
  public String kid() {
    return header.getKeyID();
  }

  /** The order as a signed JWS, compact serialization (three base64url parts joined by dots). */
  public String sign(DeploymentOrder order) {
    Objects.requireNonNull(order, "order");
    JWSObject jws = new JWSObject(header, new Payload(OrderCodec.encode(order)));
    try {
      jws.sign(signer);
    } catch (JOSEException e) {
      // The key was checked at construction; what is left is a broken JCA provider.
      throw new IllegalStateException("ES256 signing failed: " + e.getMessage(), e);
    }
    return jws.serialize();
  }
}
