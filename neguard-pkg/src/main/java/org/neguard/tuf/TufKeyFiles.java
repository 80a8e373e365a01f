package org.neguard.tuf;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.neguard.pki.Curves;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Key files. A private key file is an encrypted PKCS#8 PEM ({@code ENCRYPTED PRIVATE KEY}:
 * PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC, which {@code openssl pkey} also reads), so a root
 * key holder's key never rests in clear; a public key file is the TUF key JSON, what a holder
 * hands to whoever assembles the root.
 */
public final class TufKeyFiles {
  /** PBKDF2 iterations: OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  static final int PBKDF2_ITERATIONS = 600_000;
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();
  private static final long MAX_KEY_FILE = 64 * 1024;

  private TufKeyFiles() {}

  /**
   * The encrypted PEM of {@code key}.
   *
   * @throws IllegalArgumentException for an empty password, or a key neither Ed25519 nor P-256
   */
  public static byte[] encryptPrivateKey(PrivateKey key, char[] password) {
    Objects.requireNonNull(key, "key");
    if (password == null || password.length == 0) {
      throw new IllegalArgumentException("password is empty: a private key file is encrypted");
    }
    publicKeyOf(key); // refuses other key types before anything is written
    try {
      var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
          .setProvider(BC)
          .setPRF(JcaPKCS8Generator.PRF_HMACSHA256)
          .setIterationCount(PBKDF2_ITERATIONS)
          .setPassword(password)
          .build();
      StringWriter out = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(out)) {
        w.writeObject(new JcaPKCS8Generator(key, encryptor));
      }
      return out.toString().getBytes(StandardCharsets.US_ASCII);
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("encrypting a private key failed", e);
    }
  }

  /**
   * Decrypts an encrypted PKCS#8 PEM.
   *
   * @throws RefusalException {@code BAD_INPUT}: not an encrypted PKCS#8 PEM, a wrong password,
   *     or a key that is neither Ed25519 nor EC on P-256
   */
  public static PrivateKey decryptPrivateKey(byte[] pem, char[] password)
      throws RefusalException {
    Objects.requireNonNull(pem, "pem");
    if (password == null || password.length == 0) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "no password given for the encrypted private key");
    }
    Object parsed;
    try (PEMParser parser =
        new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      parsed = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the private key is not PEM, or is damaged", e);
    }
    if (!(parsed instanceof PKCS8EncryptedPrivateKeyInfo encrypted)) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the private key is not an encrypted PKCS#8 PEM (ENCRYPTED PRIVATE KEY); "
              + "create keys with `neguard repo key new`");
    }
    PrivateKeyInfo info;
    try {
      info = encrypted.decryptPrivateKeyInfo(
          new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(password));
    } catch (PKCSException | OperatorCreationException | RuntimeException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the private key cannot be decrypted: wrong password, or a damaged key file", e);
    }
    try {
      String alg = EdECObjectIdentifiers.id_Ed25519.equals(
          info.getPrivateKeyAlgorithm().getAlgorithm()) ? "Ed25519" : "EC";
      PrivateKey key = KeyFactory.getInstance(alg)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
      publicKeyOf(key);
      return key;
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "the private key is neither Ed25519 nor ECDSA P-256: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the encrypted key to a new file, readable by its owner only.
   *
   * @throws RefusalException {@code IO_ERROR} when the file exists (a key is never overwritten)
   *     or cannot be written
   */
  public static void writePrivateKey(Path file, PrivateKey key, char[] password)
      throws RefusalException {
    byte[] pem = encryptPrivateKey(key, password);
    try {
      Files.createFile(file, ownerOnly(file));
      Files.write(file, pem, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (FileAlreadyExistsException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          file + " exists; a key file is never overwritten: choose another name", e);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          "cannot write the key file " + file + ": " + e.getMessage(), e);
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] ownerOnly(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = dir != null
        && Files.getFileAttributeView(dir,
            java.nio.file.attribute.PosixFileAttributeView.class) != null;
    return posix
        ? new java.nio.file.attribute.FileAttribute<?>[] {
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new java.nio.file.attribute.FileAttribute<?>[0];
  }

  /** @throws RefusalException {@code BAD_INPUT} as {@link #decryptPrivateKey}; {@code IO_ERROR} */
  public static PrivateKey readPrivateKey(Path file, char[] password) throws RefusalException {
    byte[] pem = readSmall(file, "private key file");
    try {
      return decryptPrivateKey(pem, password);
    } catch (RefusalException e) {
      throw new RefusalException(e.code(), file + ": " + e.reasons().get(0).message(), e);
    }
  }

  /** A private key file with its public TUF key, derived from the private key. */
  public static SigningKey readSigningKey(Path file, char[] password) throws RefusalException {
    PrivateKey key = readPrivateKey(file, password);
    return new SigningKey(TufKey.of(publicKeyOf(key)), key);
  }

  /**
   * A public key file's bytes: the key's JSON (sorted, compact, the PEM's new lines escaped) and a
   * new line.
   */
  public static byte[] publicKeyJson(TufKey key) {
    byte[] json = CanonicalJson.encodeFile(key.toJson());
    byte[] out = new byte[json.length + 1];
    System.arraycopy(json, 0, out, 0, json.length);
    out[json.length] = '\n';
    return out;
  }

  /** @throws RefusalException {@code IO_ERROR} when the file exists or cannot be written */
  public static void writePublicKey(Path file, TufKey key) throws RefusalException {
    try {
      Files.write(file, publicKeyJson(key), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          file + " exists; choose another name or remove it first", e);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          "cannot write the public key file " + file + ": " + e.getMessage(), e);
    }
  }

  /** @throws RefusalException {@code MALFORMED} when it is not a TUF key JSON; {@code IO_ERROR} */
  public static TufKey readPublicKey(Path file) throws RefusalException {
    byte[] bytes = readSmall(file, "public key file");
    try {
      return TufKey.fromJson(CanonicalJson.parseObject(bytes, MAX_KEY_FILE, file.toString()));
    } catch (RefusalException e) {
      throw new RefusalException(e.code(), file + ": " + e.reasons().get(0).message(), e);
    }
  }

  private static byte[] readSmall(Path file, String what) throws RefusalException {
    try {
      if (Files.size(file) > MAX_KEY_FILE) {
        throw new RefusalException(ReasonCode.BAD_INPUT,
            file + " is larger than " + MAX_KEY_FILE + " bytes: not a " + what);
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new RefusalException(ReasonCode.IO_ERROR,
          "cannot read the " + what + " " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The public key of a private key: Ed25519 (from its seed) or EC on P-256 (d times the
   * generator). A key file holds only the private key, and the public half must come from it,
   * never from a second file that could belong to another key.
   *
   * @throws IllegalArgumentException for any other kind of key
   */
  public static PublicKey publicKeyOf(PrivateKey key) {
    Objects.requireNonNull(key, "key");
    try {
      if (key instanceof ECPrivateKey ec) {
        if (!Curves.isP256(ec.getParams())) {
          throw new IllegalArgumentException("the EC private key is not on P-256");
        }
        X9ECParameters p = ECNamedCurveTable.getByName("secp256r1");
        var q = p.getG().multiply(ec.getS()).normalize();
        ECPoint w = new ECPoint(q.getAffineXCoord().toBigInteger(),
            q.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, Curves.p256()));
      }
      byte[] encoded = key.getEncoded();
      if (encoded == null) {
        throw new IllegalArgumentException("the private key cannot be encoded");
      }
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(encoded);
      if (!EdECObjectIdentifiers.id_Ed25519.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
        throw new IllegalArgumentException("a " + key.getAlgorithm()
            + " private key is not a TUF key here; use Ed25519 or ECDSA on P-256");
      }
      byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
      byte[] raw = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
      byte[] spki = new byte[44];
      System.arraycopy(Crypto.HEX.parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
      System.arraycopy(raw, 0, spki, 12, 32);
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IllegalArgumentException("the private key is damaged: " + e.getMessage(), e);
    }
  }
}
