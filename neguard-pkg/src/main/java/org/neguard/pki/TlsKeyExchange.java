package org.neguard.pki;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyPairGeneratorSpi;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.interfaces.ECKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLParameters;

/**
 * The key exchange of the agents' TLS: ECDHE on P-256 ({@code secp256r1}), computed by AWS-LC
 * where it loads.
 *
 * <p>Why: an NE opens one connection per attestation (a kept connection would hold two file
 * descriptors per NE on each side, and 100,000 NEs do not fit), and a resumed TLS 1.3 session
 * still makes a fresh ECDHE exchange. The JDK's X25519 was a tenth of the server's CPU in a
 * profile of 2,000 NEs on one connection per attestation; a resumed connection on loopback takes
 * 0.56 times the time with P-256 on AWS-LC (docs/BENCHMARKS.md, issue 15: "The TLS key exchange
 * on AWS-LC"). Two parts:
 * <ul>
 *   <li>{@link #installAwsLc}, in the server's JVM (and the simulator's): a provider ahead of the
 *       JDK's that offers only EC key-pair generation and ECDH, on P-256 only, AWS-LC's, after a
 *       check at load. The JDK's TLS looks its key exchange up by name, so it takes these; every
 *       other algorithm and curve stays the JDK's, and keys that live (a CA, a signing key) come
 *       from the JDK's ({@link Curves#newP256KeyPair}). A peer's point that is not on the curve
 *       is refused by AWS-LC's agreement ({@code TlsKeyExchangeTest}): the JDK's TLS builds the
 *       peer's key without that check.
 *   <li>{@link #offerP256}, on a device's sockets: P-256 is the one group a device offers, so
 *       the server never computes X25519 for it. Every TLS 1.3 server implements P-256 (RFC
 *       8446, section 9.1). The per-socket setting is JDK 20's; on an older JDK the device
 *       offers the JDK's defaults ({@code -Djdk.tls.namedGroups=secp256r1} does the same there).
 *       Where the JDK's defaults hold a hybrid post-quantum group (ML-KEM), they stay: a quantum
 *       adversary recording today is worth more than the server's CPU.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class TlsKeyExchange {
  /** The one group a device offers. */
  public static final List<String> DEVICE_GROUPS = List.of("secp256r1");

  /** The installed provider's name. */
  static final String NAME = "NEGuard-TLS-ECDH";
  /** The JDK's names of P-256 (its standard name and aliases). */
  private static final Set<String> P256_NAMES = Set.of("secp256r1", "prime256v1", "NIST P-256",
      "1.2.840.10045.3.1.7", "P-256");
  /** {@code SSLParameters.setNamedGroups(String[])}, JDK 20; null before. */
  private static final MethodHandle SET_NAMED_GROUPS = namedGroups("set", void.class,
      String[].class);
  /** {@code SSLParameters.getNamedGroups()}, JDK 20; null before. */
  private static final MethodHandle GET_NAMED_GROUPS = namedGroups("get", String[].class);
  private static final AtomicLong AGREEMENTS = new AtomicLong();
  private static String installed;

  private TlsKeyExchange() {}

  private static MethodHandle namedGroups(String verb, Class<?> returns, Class<?>... takes) {
    try {
      return MethodHandles.publicLookup().findVirtual(SSLParameters.class, verb + "NamedGroups",
          MethodType.methodType(returns, takes));
    } catch (NoSuchMethodException | IllegalAccessException older) {
      return null;
    }
  }

  /**
   * Makes P-256 the one group {@code p} offers, where this JDK can set it per connection and
   * {@code p} holds no hybrid post-quantum group.
   *
   * @return whether it did (JDK 20 and later, without ML-KEM among the groups)
   */
  public static boolean offerP256(SSLParameters p) {
    if (SET_NAMED_GROUPS == null) {
      return false;
    }
    try {
      String[] groups = (String[]) GET_NAMED_GROUPS.invoke(p);
      if (groups != null && Arrays.stream(groups).anyMatch(g -> g.contains("MLKEM"))) {
        return false;
      }
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
        why = "the JDK's (AWS-LC is not on the class path or not for this platform: " + absent
            + ")";
      }
      installed = why;
    }
    return installed;
  }

  /** What {@link #installAwsLc} said, or "not installed" before it ran; installs nothing. */
  public static synchronized String described() {
    return installed == null ? "not installed" : installed;
  }

  /** Secrets AWS-LC's ECDH made through the installed provider, since the start. */
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
      if (Security.insertProviderAt(new EcOnly(accp), 1) == -1) {
        return "the JDK's (a provider named " + NAME + " is installed already, not this one)";
      }
      return accp.getAwsLcVersionStr() + " (Amazon Corretto Crypto Provider "
          + accp.getVersionStr() + ") for P-256 key pairs and ECDH";
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
        } catch (InvalidKeyException refused) {
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

  /** AWS-LC's EC key-pair generator and ECDH, on P-256 only, nothing else. */
  private static final class EcOnly extends Provider {
    private static final long serialVersionUID = 1L;

    EcOnly(Provider accp) {
      super(NAME, "1", "AWS-LC's P-256 key pairs and ECDH, for TLS (NEGuard)");
      putService(new Service(this, "KeyPairGenerator", "EC", P256KeyPairs.class.getName(),
          null, null) {
        @Override
        public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
          return new P256KeyPairs(KeyPairGenerator.getInstance("EC", accp));
        }
      });
      putService(new Service(this, "KeyAgreement", "ECDH", P256Ecdh.class.getName(), null,
          null) {
        @Override
        public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
          return new P256Ecdh(KeyAgreement.getInstance("ECDH", accp));
        }

        // Chosen for a P-256 key only: the JDK's takes any other curve.
        @Override
        public boolean supportsParameter(Object key) {
          return key instanceof ECKey k && Curves.isP256(k.getParams());
        }
      });
    }
  }

  /**
   * AWS-LC's key pairs for P-256, the one curve {@link AwsLc#check} checked; asked for another,
   * it refuses, and the JDK's provider, next in line, takes the request.
   */
  private static final class P256KeyPairs extends KeyPairGeneratorSpi {
    private final KeyPairGenerator awsLc;

    P256KeyPairs(KeyPairGenerator awsLc) {
      this.awsLc = awsLc;
    }

    @Override
    public void initialize(int keySize, SecureRandom random) {
      if (keySize != 256) {
        throw new InvalidParameterException("P-256 only here: " + keySize + " bits");
      }
      try {
        awsLc.initialize(new ECGenParameterSpec("secp256r1"));
      } catch (InvalidAlgorithmParameterException e) {
        throw new InvalidParameterException(e.toString());
      }
    }

    @Override
    public void initialize(AlgorithmParameterSpec spec, SecureRandom random)
        throws InvalidAlgorithmParameterException {
      boolean p256 = spec instanceof ECGenParameterSpec named
          ? P256_NAMES.contains(named.getName())
          : spec instanceof ECParameterSpec params && Curves.isP256(params);
      if (!p256) {
        throw new InvalidAlgorithmParameterException("P-256 only here: " + spec);
      }
      awsLc.initialize(spec);
    }

    @Override
    public KeyPair generateKeyPair() {
      return awsLc.generateKeyPair();
    }
  }

  /**
   * AWS-LC's ECDH, counted when a secret is made. A secret is given as raw bytes, or as a key
   * for the two names the JDK's TLS asks for: {@code TlsPremasterSecret} (ECDHE) and {@code
   * Generic} (the hybrid post-quantum groups of later JDKs, which AWS-LC's provider does not
   * name).
   */
  private static final class P256Ecdh extends KeyAgreementSpi {
    private final KeyAgreement awsLc;

    P256Ecdh(KeyAgreement awsLc) {
      this.awsLc = awsLc;
    }

    @Override
    protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException {
      awsLc.init(key);
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random)
        throws InvalidKeyException, InvalidAlgorithmParameterException {
      if (params != null) {
        throw new InvalidAlgorithmParameterException("ECDH takes no parameters: " + params);
      }
      awsLc.init(key);
    }

    @Override
    protected Key engineDoPhase(Key key, boolean lastPhase)
        throws InvalidKeyException, IllegalStateException {
      return awsLc.doPhase(key, lastPhase);
    }

    @Override
    protected byte[] engineGenerateSecret() throws IllegalStateException {
      byte[] secret = awsLc.generateSecret();
      AGREEMENTS.incrementAndGet();
      return secret;
    }

    @Override
    protected int engineGenerateSecret(byte[] out, int offset)
        throws IllegalStateException, ShortBufferException {
      int n = awsLc.generateSecret(out, offset);
      AGREEMENTS.incrementAndGet();
      return n;
    }

    @Override
    protected SecretKey engineGenerateSecret(String algorithm) throws NoSuchAlgorithmException {
      if (!algorithm.equals("TlsPremasterSecret") && !algorithm.equals("Generic")) {
        throw new NoSuchAlgorithmException("ECDH secrets here are TlsPremasterSecret or Generic,"
            + " not " + algorithm);
      }
      return new SecretKeySpec(engineGenerateSecret(), algorithm);
    }
  }
}
