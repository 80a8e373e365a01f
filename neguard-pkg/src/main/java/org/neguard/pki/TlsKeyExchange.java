package org.neguard.pki;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.KeyAgreement;
import javax.net.ssl.SSLParameters;

/**
 * The key exchange of the agents' TLS: ECDHE on P-256 ({@code secp256r1}), computed by AWS-LC
 * where it loads.
 *
 * <p>Why: an NE opens one connection per attestation (a kept connection would hold two file
 * descriptors per NE on each side, and 100,000 NEs do not fit), and a resumed TLS 1.3 session
 * still makes a fresh ECDHE exchange. The JDK's X25519 was a tenth of the server's CPU at
 * 100,000 NEs; AWS-LC's P-256 key generation and agreement take a fifth of its time
 * (docs/BENCHMARKS.md, issue 15: "The TLS key exchange on AWS-LC"). Two parts:
 * <ul>
 *   <li>{@link #installAwsLc}, in the server's JVM (and the simulator's): a provider ahead of the
 *       JDK's that offers only EC key-pair generation and ECDH, AWS-LC's, after a check at load.
 *       The JDK's TLS looks its key exchange up by name, so it takes these; every other
 *       algorithm stays the JDK's. A peer's point that is not on the curve is refused by
 *       AWS-LC's agreement, as by the JDK's ({@code TlsKeyExchangeTest}).
 *   <li>{@link #offerP256}, on a device's sockets: P-256 is the one group a device offers, so
 *       the server never computes X25519 for it. Every TLS 1.3 server implements P-256 (RFC
 *       8446, section 9.1). The per-socket setting is JDK 20's; on an older JDK the device
 *       offers the JDK's defaults ({@code -Djdk.tls.namedGroups=secp256r1} does the same there).
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class TlsKeyExchange {
  /** The one group a device offers. */
  public static final List<String> DEVICE_GROUPS = List.of("secp256r1");

  private static final String NAME = "NEGuard-TLS-ECDH";
  /** {@code SSLParameters.setNamedGroups(String[])}, JDK 20; null before. */
  private static final MethodHandle SET_NAMED_GROUPS = setNamedGroups();
  private static final AtomicLong AGREEMENTS = new AtomicLong();
  private static String installed;

  private TlsKeyExchange() {}

  private static MethodHandle setNamedGroups() {
    try {
      return MethodHandles.publicLookup().findVirtual(SSLParameters.class, "setNamedGroups",
          MethodType.methodType(void.class, String[].class));
    } catch (NoSuchMethodException | IllegalAccessException older) {
      return null;
    }
  }

  /**
   * Makes P-256 the one group {@code p} offers, where this JDK can set it per connection.
   *
   * @return whether it could (JDK 20 and later)
   */
  public static boolean offerP256(SSLParameters p) {
    if (SET_NAMED_GROUPS == null) {
      return false;
    }
    try {
      SET_NAMED_GROUPS.invoke(p, DEVICE_GROUPS.toArray(String[]::new));
      return true;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable unexpected) {
      throw new IllegalStateException("SSLParameters.setNamedGroups failed", unexpected);
    }
  }

  /**
   * Puts AWS-LC's EC key-pair generation and ECDH ahead of the JDK's in this JVM, once, if its
   * native code loads and passes the check below; else changes nothing.
   *
   * @return what computes the key exchange, for the log: AWS-LC and its version, or the JDK and
   *     why not AWS-LC
   */
  public static synchronized String installAwsLc() {
    if (installed == null) {
      String why;
      try {
        why = AwsLc.install();
      } catch (LinkageError absent) {
        why = "not on the class path or not for this platform (" + absent + ")";
      }
      installed = why;
    }
    return installed;
  }

  /** Key agreements AWS-LC was asked for through the installed provider, since the start. */
  public static long awsLcAgreements() {
    return AGREEMENTS.get();
  }

  /** Apart, so that this class links where AWS-LC's classes are absent (the agent). */
  private static final class AwsLc {
    static String install() {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      if (accp.getLoadingError() != null) {
        return "the JDK's (AWS-LC's native code did not load: " + accp.getLoadingError() + ")";
      }
      String failed = check(accp);
      if (failed != null) {
        return "the JDK's (AWS-LC failed its check at load: " + failed + ")";
      }
      Security.insertProviderAt(new EcOnly(accp), 1);
      return accp.getAwsLcVersionStr() + " (Amazon Corretto Crypto Provider "
          + accp.getVersionStr() + ") for EC key pairs and ECDH";
    }

    /**
     * Null if AWS-LC's ECDH on P-256 agrees with the JDK's both ways and refuses a point off the
     * curve; else what went wrong. Any doubt leaves the JDK's exchange in place.
     */
    private static String check(Provider accp) {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", accp);
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ours = g.generateKeyPair();
        KeyPairGenerator j = KeyPairGenerator.getInstance("EC", "SunEC");
        j.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair theirs = j.generateKeyPair();
        byte[] a = agree(accp, ours, theirs.getPublic());
        KeyAgreement k = KeyAgreement.getInstance("ECDH", "SunEC");
        k.init(theirs.getPrivate());
        k.doPhase(ours.getPublic(), true);
        if (!Arrays.equals(a, k.generateSecret())) {
          return "its P-256 agreement differs from the JDK's";
        }
        PublicKey offCurve = KeyFactory.getInstance("EC", "SunEC").generatePublic(
            new ECPublicKeySpec(new ECPoint(BigInteger.ONE, BigInteger.TWO), Curves.p256()));
        try {
          agree(accp, ours, offCurve);
          return "it took a point that is not on P-256";
        } catch (GeneralSecurityException | RuntimeException refused) {
          return null;
        }
      } catch (GeneralSecurityException | RuntimeException e) {
        return e.toString();
      }
    }

    private static byte[] agree(Provider p, KeyPair mine, PublicKey peer)
        throws GeneralSecurityException {
      KeyAgreement k = KeyAgreement.getInstance("ECDH", p);
      k.init(mine.getPrivate());
      k.doPhase(peer, true);
      return k.generateSecret();
    }
  }

  /** AWS-LC's EC key-pair generator and ECDH, nothing else. */
  private static final class EcOnly extends Provider {
    private static final long serialVersionUID = 1L;

    EcOnly(Provider accp) {
      super(NAME, "1", "AWS-LC's EC key pairs and ECDH, for TLS (NEGuard)");
      putService(new Delegate(this, accp.getService("KeyPairGenerator", "EC"), false));
      putService(new Delegate(this, accp.getService("KeyAgreement", "ECDH"), true));
    }
  }

  /** A service of this provider that AWS-LC's provides. */
  private static final class Delegate extends Provider.Service {
    private final Provider.Service target;
    private final boolean counted;

    Delegate(Provider owner, Provider.Service target, boolean counted) {
      super(owner, target.getType(), target.getAlgorithm(), target.getClassName(), null, null);
      this.target = target;
      this.counted = counted;
    }

    @Override
    public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
      if (counted) {
        AGREEMENTS.incrementAndGet();
      }
      return target.newInstance(parameter);
    }

    @Override
    public boolean supportsParameter(Object parameter) {
      return target.supportsParameter(parameter);
    }
  }
}
