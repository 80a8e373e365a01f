package org.neguard.attest;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;
import org.neguard.measure.Sha256;
import org.neguard.pki.Curves;

/**
 * ES256 (ECDSA over P-256 with SHA-256, RFC 7518 section 3.4) for evidence signatures. The
 * checks, as the JOSE library it replaced made them, are made here in Java before either
 * implementation runs: the key a point of P-256 (not only declaring P-256's parameters; not the
 * point at infinity, coordinates in the field), the signature exactly 64 bytes, r and s each in
 * [1, n-1] (a blank signature, CVE-2022-21449, is refused). Then the equation of ECDSA, by one
 * of two implementations:
 * <ul>
 *   <li>{@link Implementation#AWS_LC}: AWS-LC's P-256 through the Amazon Corretto Crypto
 *       Provider, where it is on the class path and its native code loads (the server, on
 *       Linux x86-64); about 3 times Bouncy Castle's rate for a key seen once (docs/BENCHMARKS.md,
 *       issue 15: "AWS-LC for the signature");
 *   <li>{@link Implementation#BOUNCY_CASTLE}: Bouncy Castle's P-256 field code, everywhere else.
 * </ul>
 * Both, and the JDK's own ECDSA, answer the same on the same bytes ({@code Es256Test} runs one
 * table through all three). Not the JDK's provider: JDK 17's verifies about 900 signatures per
 * second per core on the benchmark machine, JDK 25's (a Montgomery field with the AVX-512 IFMA
 * intrinsic) 0.38 to 0.40 times Bouncy Castle's rate.
 *
 * <p>Thread-safe: stateless; the curve's precomputation for its generator is shared.
 */
final class Es256 {
  private static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN = new ECDomainParameters(P256.getCurve(),
      P256.getG(), P256.getN(), P256.getH());
  private static final BigInteger N = P256.getN();
  private static final AtomicLong FALLBACKS = new AtomicLong();
  /** AWS-LC's provider, or why not ({@link #describe}). */
  private static final Loaded LOADED = awsLc();
  /** AWS-LC's provider, or null where it is not on the class path or does not load. */
  private static final Provider AWS_LC = LOADED.provider();

  /** The provider, or null and the reason it is not used. */
  private record Loaded(Provider provider, String notUsed) {
    static Loaded not(String why) {
      return new Loaded(null, why);
    }
  }

  /** The code that checks ECDSA's equation. */
  enum Implementation {
    AWS_LC, BOUNCY_CASTLE
  }

  /**
   * A device key that {@link #key} found to be a point of P-256: as Bouncy Castle's point and,
   * where AWS-LC is loaded, as its key, both made from the coordinates checked.
   */
  record Key(ECPublicKeyParameters point, PublicKey awsLc) {}

  private Es256() {}

  /** The implementation {@link #verify} uses in this JVM. */
  static Implementation implementation() {
    return AWS_LC != null ? Implementation.AWS_LC : Implementation.BOUNCY_CASTLE;
  }

  /**
   * What {@link #implementation} is, with its version, or why AWS-LC is not used, and how many
   * verifications fell back to Bouncy Castle; for logs and benchmark reports.
   */
  static String describe() {
    String fell = FALLBACKS.get() == 0 ? "" : "; " + FALLBACKS.get()
        + " verifications fell back to Bouncy Castle";
    return AWS_LC == null ? "Bouncy Castle (AWS-LC not used: " + LOADED.notUsed() + ")"
        : "AWS-LC " + ((AmazonCorrettoCryptoProvider) AWS_LC).getAwsLcVersionStr()
            + " (Amazon Corretto Crypto Provider " + AWS_LC.getVersionStr() + ")" + fell;
  }

  /** Verifications AWS-LC was asked for and Bouncy Castle answered (a provider fault). */
  static long fallbacks() {
    return FALLBACKS.get();
  }

  private static void fellBack(Exception fault) {
    if (FALLBACKS.getAndIncrement() == 0) {
      System.getLogger(Es256.class.getName()).log(System.Logger.Level.WARNING, "AWS-LC could"
          + " not check an ES256 signature (" + (fault == null ? "it did not take the key"
          : fault) + "); Bouncy Castle answers this and any such one after it");
    }
  }

  private static Loaded awsLc() {
    try {
      return AwsLc.provider();
    } catch (LinkageError absent) {
      // Not on the class path (the agent, a CLI without the server), or built for another
      // platform: Bouncy Castle verifies.
      return Loaded.not("not on the class path or not for this platform (" + absent + ")");
    }
  }

  /** Apart from Es256, so that Es256 links where the provider's classes are absent. */
  private static final class AwsLc {
    static Loaded provider() {
      AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
      if (p.getLoadingError() != null) {
        return Loaded.not("its native code did not load (" + p.getLoadingError() + ")");
      }
      // The path verify takes, once, on a signature of the JDK's: a good one verifies, an
      // altered one does not (the provider runs its own known-answer test of ECDSA at this
      // first use; assertHealthy would run those of every algorithm, about a second at each
      // server start). Any failure leaves Bouncy Castle verifying.
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        byte[] data = "neguard es256 self test".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
        signer.initSign(pair.getPrivate());
        signer.update(data);
        byte[] good = signer.sign();
        byte[] bad = good.clone();
        bad[40] ^= 1;
        PublicKey k = awsLcKey(p, ((ECPublicKey) pair.getPublic()).getW());
        if (!verify(p, k, data, data.length, good) || verify(p, k, data, data.length, bad)) {
          return Loaded.not("it failed its signature check at load");
        }
      } catch (GeneralSecurityException | RuntimeException unhealthy) {
        return Loaded.not("its self test failed (" + unhealthy + ")");
      }
      return new Loaded(p, null);
    }
  }

  /** The point {@code w}, checked to be on P-256 by the caller, as AWS-LC's key. */
  private static PublicKey awsLcKey(Provider awsLc, java.security.spec.ECPoint w)
      throws GeneralSecurityException {
    return KeyFactory.getInstance("EC", awsLc)
        .generatePublic(new ECPublicKeySpec(w, Curves.p256()));
  }

  /** ECDSA's equation by AWS-LC; a signature it cannot read is a SignatureException. */
  private static boolean verify(Provider awsLc, PublicKey key, byte[] input, int length,
      byte[] signature) throws GeneralSecurityException {
    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format", awsLc);
    v.initVerify(key);
    v.update(input, 0, length);
    return v.verify(signature);
  }

  /**
   * The device key, checked to be a point of P-256.
   *
   * @throws IllegalArgumentException if the key is not on P-256 (another curve, or a point that
   *     is not on the curve)
   */
  static Key key(ECPublicKey key) {
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
    PublicKey awsLc = null;
    if (AWS_LC != null) {
      try {
        awsLc = awsLcKey(AWS_LC, w);
      } catch (GeneralSecurityException | RuntimeException fault) {
        // A point checked above that AWS-LC will not take: Bouncy Castle verifies (verify).
      }
    }
    return new Key(new ECPublicKeyParameters(q, DOMAIN), awsLc);
  }

  private static boolean isFieldElement(BigInteger v, BigInteger p) {
    return v != null && v.signum() >= 0 && v.compareTo(p) < 0;
  }

  /** Whether {@code signature} (R || S, 32 bytes each) is the key's over {@code input}. */
  static boolean verify(Key key, byte[] input, byte[] signature) {
    return verify(implementation(), key, input, input.length, signature);
  }

  /** Whether {@code signature} is the key's over {@code input[0, length)}. */
  static boolean verify(Key key, byte[] input, int length, byte[] signature) {
    return verify(implementation(), key, input, length, signature);
  }

  /**
   * Whether {@code signature} is the key's over {@code input[0, length)}, by {@code by}.
   *
   * @throws IllegalStateException {@code by} is AWS-LC and it is not loaded here
   */
  static boolean verify(Implementation by, Key key, byte[] input, int length,
      byte[] signature) {
    if (signature.length != 64) {
      return false;
    }
    BigInteger r = new BigInteger(1, signature, 0, 32);
    BigInteger s = new BigInteger(1, signature, 32, 32);
    if (!inOrder(r) || !inOrder(s)) {
      return false;
    }
    if (by == Implementation.AWS_LC) {
      if (AWS_LC == null) {
        throw new IllegalStateException("AWS-LC is not loaded in this JVM");
      }
      if (key.awsLc() != null) {
        try {
          return verify(AWS_LC, key.awsLc(), input, length, signature);
        } catch (GeneralSecurityException | RuntimeException fault) {
          // The signature's form was checked above, so any exception is the provider's fault,
          // not the device's (a SignatureException too): Bouncy Castle gives the answer, and no
          // provider fault turns a good signature into a failed attestation.
          fellBack(fault);
        }
      } else {
        fellBack(null);
      }
    }
    MessageDigest sha = Sha256.newDigest();
    sha.update(input, 0, length);
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, key.point());
    return verifier.verifySignature(sha.digest(), r, s);
  }

  /** In [1, n - 1]. */
  private static boolean inOrder(BigInteger v) {
    return v.signum() > 0 && v.compareTo(N) < 0;
  }
}
