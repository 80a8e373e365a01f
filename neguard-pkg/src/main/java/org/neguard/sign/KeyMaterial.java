package org.neguard.sign;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A software signing key with its certificate: from PEM files or a PKCS#12 keystore, as
 * operators' PKIs produce them with openssl.
 *
 * <p>Supported keys: ECDSA (signed with SHA-256), RSA (PKCS#1 v1.5 or PSS, SHA-256), RSASSA-PSS
 * keys, Ed25519. Construction checks that the key belongs to the certificate.
 */
public final class KeyMaterial implements SigningIdentity {
  /** Signature padding for plain RSA keys. */
  public enum RsaPadding {
    /** RSASSA-PSS with SHA-256, MGF1-SHA-256, 32-byte salt. */
    PSS,
    /** RSASSA-PKCS1-v1_5 with SHA-256. */
    PKCS1
  }

  private final PrivateKey key;
  private final X509Certificate certificate;
  private final List<X509Certificate> chain;
  private final String algorithm;

  private KeyMaterial(
      PrivateKey key, X509Certificate certificate, List<X509Certificate> chain, String algorithm) {
    this.key = key;
    this.certificate = certificate;
    this.chain = List.copyOf(chain);
    this.algorithm = algorithm;
  }

  /**
   * A signing identity from a key and certificates already in memory.
   *
   * @param chain intermediates to embed; may be empty
   * @throws RefusalException {@code BAD_INPUT} for an unsupported key, {@code KEY_MISMATCH} if
   *     the key does not belong to the certificate
   */
  public static KeyMaterial of(
      PrivateKey key, X509Certificate certificate, List<X509Certificate> chain, RsaPadding padding)
      throws RefusalException {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(padding, "padding");
    PrivateKey normalized = normalize(key);
    String algorithm = signatureAlgorithm(normalized, padding);
    checkPair(normalized, certificate, algorithm);
    return new KeyMaterial(normalized, certificate, chain, algorithm);
  }

  /**
   * Loads a PEM private key (PKCS#8, traditional, or encrypted) and a PEM certificate file whose
   * first certificate is the signer's; further certificates in it, and those in {@code chainPem},
   * are embedded as intermediates.
   *
   * @param password for an encrypted key; may be null
   * @param chainPem may be null
   */
  public static KeyMaterial fromPem(
      Path keyPem, Path certPem, Path chainPem, char[] password, RsaPadding padding)
      throws IOException, RefusalException {
    PrivateKey key = readPemKey(keyPem, password);
    List<X509Certificate> certs = new ArrayList<>(Certificates.read(certPem));
    X509Certificate leaf = certs.remove(0);
    if (chainPem != null) {
      certs.addAll(Certificates.read(chainPem));
    }
    return of(key, leaf, certs, padding);
  }

  /**
   * Loads the key entry {@code alias} (or the only key entry, when null) of a PKCS#12 keystore;
   * its certificate chain is embedded, trust anchors excluded.
   */
  public static KeyMaterial fromPkcs12(Path p12, char[] password, String alias, RsaPadding padding)
      throws IOException, RefusalException {
    Objects.requireNonNull(password, "password");
    KeyStore store;
    try (InputStream in = Files.newInputStream(p12)) {
      store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
    } catch (GeneralSecurityException | IOException e) {
      if (e instanceof java.nio.file.NoSuchFileException) {
        throw (IOException) e;
      }
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "cannot open keystore " + p12 + ": wrong password, or not a PKCS#12 file",
          e);
    }
    try {
      List<String> keyAliases = new ArrayList<>();
      for (String a : Collections.list(store.aliases())) {
        if (store.isKeyEntry(a)) {
          keyAliases.add(a);
        }
      }
      String chosen = alias;
      if (chosen == null) {
        if (keyAliases.size() != 1) {
          throw new RefusalException(
              ReasonCode.BAD_INPUT,
              "keystore " + p12 + " holds " + keyAliases.size() + " keys " + keyAliases
                  + "; choose one with --alias");
        }
        chosen = keyAliases.get(0);
      } else if (!keyAliases.contains(chosen)) {
        throw new RefusalException(
            ReasonCode.BAD_INPUT, "keystore " + p12 + " has no key named '" + alias + "'");
      }
      Key key = store.getKey(chosen, password);
      Certificate[] chain = store.getCertificateChain(chosen);
      if (!(key instanceof PrivateKey) || chain == null || chain.length == 0) {
        throw new RefusalException(
            ReasonCode.BAD_INPUT,
            "keystore entry '" + chosen + "' has no private key with a certificate chain");
      }
      List<X509Certificate> rest = new ArrayList<>();
      for (int i = 1; i < chain.length; i++) {
        X509Certificate c = (X509Certificate) chain[i];
        if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
          rest.add(c); // a root is the verifier's to hold, not the bundle's to bring
        }
      }
      return of((PrivateKey) key, (X509Certificate) chain[0], rest, padding);
    } catch (GeneralSecurityException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot read the key in keystore " + p12
              + ": wrong key password, or an unsupported entry", e);
    }
  }

  @Override
  public X509Certificate certificate() {
    return certificate;
  }

  @Override
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The JCA name of the signature algorithm this key signs with. */
  public String signatureAlgorithm() {
    return algorithm;
  }

  @Override
  public ContentSigner newContentSigner() throws RefusalException {
    try {
      return new JcaContentSignerBuilder(algorithm).setProvider(Providers.BC).build(key);
    } catch (OperatorCreationException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot sign with a " + key.getAlgorithm() + " key: " + e, e);
    }
  }

  private static PrivateKey readPemKey(Path keyPem, char[] password)
      throws IOException, RefusalException {
    Object parsed;
    try (Reader r = Files.newBufferedReader(keyPem, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      parsed = parser.readObject();
    } catch (IOException e) {
      if (e instanceof java.nio.file.NoSuchFileException) {
        throw e;
      }
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "cannot read a PEM key from " + keyPem + ": not PEM, or damaged",
          e);
    }
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(Providers.BC);
    try {
      if (parsed instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (parsed instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (parsed instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
        requirePassword(keyPem, password);
        return converter.getPrivateKey(
            encrypted.decryptPrivateKeyInfo(
                new JceOpenSSLPKCS8DecryptorProviderBuilder()
                    .setProvider(Providers.BC)
                    .build(password)));
      }
      if (parsed instanceof PEMEncryptedKeyPair encrypted) {
        requirePassword(keyPem, password);
        return converter
            .getKeyPair(
                encrypted.decryptKeyPair(
                    new JcePEMDecryptorProviderBuilder().setProvider(Providers.BC).build(password)))
            .getPrivate();
      }
    } catch (PKCSException | OperatorCreationException | IOException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "cannot decrypt or decode the key in " + keyPem + ": wrong password, or a damaged key",
          e);
    }
    throw new RefusalException(
        ReasonCode.BAD_INPUT,
        "no private key in " + keyPem + " (expected a PEM 'PRIVATE KEY' block)");
  }

  private static void requirePassword(Path keyPem, char[] password) throws RefusalException {
    if (password == null) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "the key in " + keyPem + " is encrypted: give its password with --pass-file or the"
              + " NEGUARD_KEY_PASSWORD environment variable");
    }
  }

  /** Re-encodes a software key for Bouncy Castle, so keys from any provider sign alike. */
  private static PrivateKey normalize(PrivateKey key) throws RefusalException {
    byte[] encoded = key.getEncoded();
    if (encoded == null || !"PKCS#8".equals(key.getFormat())) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT,
          "the " + key.getAlgorithm() + " key cannot be exported: a hardware key needs its own"
              + " SigningIdentity (PKCS#11)");
    }
    try {
      return new JcaPEMKeyConverter()
          .setProvider(Providers.BC)
          .getPrivateKey(PrivateKeyInfo.getInstance(encoded));
    } catch (IOException | IllegalArgumentException e) {
      throw new RefusalException(
          ReasonCode.BAD_INPUT, "unsupported private key (" + key.getAlgorithm() + ")", e);
    }
  }

  private static String signatureAlgorithm(PrivateKey key, RsaPadding padding)
      throws RefusalException {
    String alg = key.getAlgorithm().toUpperCase(java.util.Locale.ROOT);
    switch (alg) {
      case "EC", "ECDSA":
        return "SHA256withECDSA";
      case "RSA":
        return padding == RsaPadding.PSS ? "SHA256withRSAandMGF1" : "SHA256withRSA";
      case "RSASSA-PSS":
        return "SHA256withRSAandMGF1";
      case "ED25519", "EDDSA":
        return "Ed25519";
      default:
        throw new RefusalException(
            ReasonCode.BAD_INPUT,
            "unsupported key algorithm " + key.getAlgorithm()
                + "; use ECDSA P-256, RSA (2048 bits or more) or Ed25519");
    }
  }

  /** Signs a probe and verifies it with the certificate's key: catches a key/cert mix-up early. */
  private static void checkPair(PrivateKey key, X509Certificate cert, String algorithm)
      throws RefusalException {
    byte[] probe = "neguard key/certificate pairing probe".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = Signature.getInstance(algorithm, Providers.BC);
      signer.initSign(key);
      signer.update(probe);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(algorithm, Providers.BC);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      // Falls through: a key of another type than the certificate's lands here.
    }
    throw new RefusalException(
        ReasonCode.KEY_MISMATCH,
        "the private key does not belong to certificate '" + Certificates.subject(cert)
            + "'; give the key and certificate of the same signer");
  }

}
