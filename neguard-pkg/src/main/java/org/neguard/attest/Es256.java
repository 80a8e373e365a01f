package org.neguard.attest;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;
import org.neguard.measure.Sha256;

/**
 * ES256 (ECDSA over P-256 with SHA-256, RFC 7518 section 3.4) for evidence signatures, on
 * Bouncy Castle's P-256 arithmetic. The JDK 17 provider verifies about 900 signatures per second
 * per core on the benchmark machine, Bouncy Castle's P-256 field code about 5 times as many
 * (docs/BENCHMARKS.md, issue 15): a validation entity verifies evidence from the whole fleet.
 * The checks, as the JOSE library it replaces made them: the key a point of P-256 (not only
 * declaring P-256's parameters; not the point at infinity, coordinates in the field), the
 * signature exactly 64 bytes, r and s each in [1, n-1] (a blank signature, CVE-2022-21449, is
 * refused), and the equation of ECDSA. The JDK's own ECDSA answers the same on the same bytes
 * ({@code Es256Test} runs one table through both).
 *
 * <p>Why not the JDK's provider on a later JDK: JDK 25's SunEC, with its Montgomery P-256 field
 * and the AVX-512 IFMA intrinsic, verifies at 0.38 to 0.40 times Bouncy Castle's rate on the
 * benchmark machine (docs/BENCHMARKS.md, issue 15, measured in every benchmark run), so this
 * class keeps Bouncy Castle on every JDK.
 *
 * <p>Thread-safe: stateless; the curve's precomputation for its generator is shared.
 */
final class Es256 {
  private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN = new ECDomainParameters(P256.getCurve(),
      P256.getG(), P256.getN(), P256.getH());

  private Es256() {}

  /**
   * The device key as a P-256 point.
   *
   * @throws IllegalArgumentException if the key is not on P-256 (another curve, or a point that
   *     is not on the curve)
   */
  static ECPublicKeyParameters key(ECPublicKey key) {
    ECParameterSpec s = key.getParams();
    if (!(s.getCurve().getField() instanceof ECFieldFp fp)
        || !fp.getP().equals(P256.getCurve().getField().getCharacteristic())
        || !s.getCurve().getA().equals(P256.getCurve().getA().toBigInteger())
        || !s.getCurve().getB().equals(P256.getCurve().getB().toBigInteger())
        || !s.getGenerator().getAffineX().equals(P256.getG().getAffineXCoord().toBigInteger())
        || !s.getGenerator().getAffineY().equals(P256.getG().getAffineYCoord().toBigInteger())
        || !s.getOrder().equals(P256.getN()) || s.getCofactor() != 1) {
      throw new IllegalArgumentException("the key is not a P-256 key");
    }
    // The point at infinity (no coordinates) and coordinates outside [0, p - 1] are refused
    // here, with this message, rather than by the field's constructor with its own; then the
    // point must be on the curve.
    java.security.spec.ECPoint w = key.getW();
    BigInteger p = P256.getCurve().getField().getCharacteristic();
    if (w.equals(java.security.spec.ECPoint.POINT_INFINITY) || !isFieldElement(w.getAffineX(), p)
        || !isFieldElement(w.getAffineY(), p)) {
      throw new IllegalArgumentException("the key is not a point of P-256 (the point at"
          + " infinity, or a coordinate outside the field)");
    }
    ECPoint q = P256.getCurve().createPoint(w.getAffineX(), w.getAffineY());
    if (!q.isValid()) {
      throw new IllegalArgumentException("the key is not a point of P-256");
    }
    return new ECPublicKeyParameters(q, DOMAIN);
  }

  private static boolean isFieldElement(BigInteger v, BigInteger p) {
    return v != null && v.signum() >= 0 && v.compareTo(p) < 0;
  }

  /** Whether {@code signature} (R || S, 32 bytes each) is the key's over {@code input}. */
  static boolean verify(ECPublicKeyParameters key, byte[] input, byte[] signature) {
    return verify(key, input, input.length, signature);
  }

  /** Whether {@code signature} is the key's over {@code input[0, length)}. */
  static boolean verify(ECPublicKeyParameters key, byte[] input, int length, byte[] signature) {
    if (signature.length != 64) {
      return false;
    }
    BigInteger r = new BigInteger(1, signature, 0, 32);
    BigInteger s = new BigInteger(1, signature, 32, 32);
    MessageDigest sha = Sha256.newDigest();
    sha.update(input, 0, length);
    byte[] hash = sha.digest();
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, key);
    return verifier.verifySignature(hash, r, s); // r and s outside [1, n-1]: false
  }
}
