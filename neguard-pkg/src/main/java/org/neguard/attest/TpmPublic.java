package org.neguard.attest;

import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A TPM key's public area ({@code TPM2B_PUBLIC}, TPM 2.0 Part 2, 12.2.5), as {@code tpm2_createek
 * -u} and {@code tpm2_createak -u} write it: read strictly, its name computed, its key usable by
 * the JCA. Only the shapes NEGuard uses are accepted: an endorsement key RSA 2048 with
 * AES-128-CFB (the TCG default EK template), and an attestation key that is a restricted
 * signing key (ECDSA P-256 or RSASSA 2048, SHA-256) bound to its TPM.
 *
 * @param type TPM_ALG_RSA (0x0001) or TPM_ALG_ECC (0x0023)
 * @param attributes the TPMA_OBJECT bits
 * @param name the key's name: nameAlg (SHA-256) and the SHA-256 of the public area
 * @param key the public key
 * @param area the TPMT_PUBLIC bytes the name is computed over
 */
public record TpmPublic(int type, int attributes, byte[] name, PublicKey key, byte[] area) {
  static final int ALG_RSA = 0x0001;
  static final int ALG_ECC = 0x0023;
  static final int ALG_AES = 0x0006;
  static final int ALG_CFB = 0x0043;
  static final int ALG_NULL = 0x0010;
  static final int ALG_RSASSA = 0x0014;
  static final int ALG_ECDSA = 0x0018;
  static final int ECC_NIST_P256 = 0x0003;

  static final int FIXED_TPM = 1 << 1;
  static final int FIXED_PARENT = 1 << 4;
  static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
  static final int RESTRICTED = 1 << 16;
  static final int DECRYPT = 1 << 17;
  static final int SIGN = 1 << 18;

  private static final int MAX_BYTES = 1024;

  /**
   * An attestation key: restricted, signing only, created in and never leaving its TPM.
   *
   * @throws RefusalException MALFORMED (not a TPM2B_PUBLIC), ALGORITHM_NOT_ALLOWED (another
   *     shape), KEY_USAGE (not a restricted signing key bound to its TPM)
   */
  public static TpmPublic attestationKey(byte[] tpm2bPublic) throws RefusalException {
    TpmPublic p = parse(tpm2bPublic);
    int need = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | RESTRICTED | SIGN;
    if ((p.attributes & need) != need || (p.attributes & DECRYPT) != 0) {
      throw new RefusalException(ReasonCode.KEY_USAGE, "not an attestation key: attributes 0x"
          + Integer.toHexString(p.attributes) + " lack fixedTPM, fixedParent,"
          + " sensitiveDataOrigin, restricted or sign, or allow decrypt");
    }
    return p;
  }

  /**
   * A device identity key held by the TPM (docs/AGENT.md, "A TPM-held device key"): an ECDSA
   * P-256 key that signs anything (not restricted: it signs TLS handshakes and CSRs), never
   * decrypts, created in and never leaving its TPM.
   *
   * @throws RefusalException MALFORMED, ALGORITHM_NOT_ALLOWED (not ECDSA P-256 SHA-256),
   *     KEY_USAGE (restricted, allows decrypt, or not bound to its TPM)
   */
  public static TpmPublic signingKey(byte[] tpm2bPublic) throws RefusalException {
    TpmPublic p = parse(tpm2bPublic);
    int need = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | SIGN;
    if (p.type != ALG_ECC || (p.attributes & need) != need
        || (p.attributes & (DECRYPT | RESTRICTED)) != 0) {
      throw new RefusalException(ReasonCode.KEY_USAGE, "not an ECC signing key bound to its"
          + " TPM: attributes 0x" + Integer.toHexString(p.attributes));
    }
    return p;
  }

  /**
   * An endorsement key of the default RSA template.
   *
   * @throws RefusalException MALFORMED, ALGORITHM_NOT_ALLOWED, KEY_USAGE (not a restricted
   *     decryption key bound to its TPM)
   */
  public static TpmPublic endorsementKey(byte[] tpm2bPublic) throws RefusalException {
    TpmPublic p = parse(tpm2bPublic);
    int need = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | RESTRICTED | DECRYPT;
    if (p.type != ALG_RSA || (p.attributes & need) != need || (p.attributes & SIGN) != 0) {
      throw new RefusalException(ReasonCode.KEY_USAGE, "not an RSA endorsement key:"
          + " attributes 0x" + Integer.toHexString(p.attributes));
    }
    return p;
  }

  /** Reads a TPM2B_PUBLIC of an RSA or ECC key. */
  static TpmPublic parse(byte[] tpm2b) throws RefusalException {
    if (tpm2b.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "a TPM public area of " + tpm2b.length
          + " bytes: more than " + MAX_BYTES);
    }
    ByteBuffer b = ByteBuffer.wrap(tpm2b);
    try {
      int size = Short.toUnsignedInt(b.getShort());
      if (size != b.remaining()) {
        throw malformed("size " + size + ", " + b.remaining() + " bytes follow");
      }
      byte[] area = Arrays.copyOfRange(tpm2b, 2, tpm2b.length);
      int type = Short.toUnsignedInt(b.getShort());
      int nameAlg = Short.toUnsignedInt(b.getShort());
      if (nameAlg != TpmQuote.ALG_SHA256) {
        throw notAllowed("name algorithm 0x" + Integer.toHexString(nameAlg) + ": SHA-256 only");
      }
      int attributes = b.getInt();
      TpmBytes.sized(b, 64, "authPolicy", "TPM2B_PUBLIC");
      PublicKey key;
      if (type == ALG_RSA) {
        key = rsa(b, attributes);
      } else if (type == ALG_ECC) {
        key = ecc(b);
      } else {
        throw notAllowed("key type 0x" + Integer.toHexString(type) + ": RSA or ECC only");
      }
      if (b.hasRemaining()) {
        throw malformed(b.remaining() + " bytes after the public area");
      }
      byte[] name = new byte[34];
      name[1] = (byte) TpmQuote.ALG_SHA256;
      System.arraycopy(Sha256.newDigest().digest(area), 0, name, 2, 32);
      return new TpmPublic(type, attributes, name, key, area);
    } catch (BufferUnderflowException e) {
      throw malformed("it ends early");
    }
  }

  private static PublicKey rsa(ByteBuffer b, int attributes) throws RefusalException {
    int sym = Short.toUnsignedInt(b.getShort());
    if ((attributes & DECRYPT) != 0 && (attributes & RESTRICTED) != 0) {
      // A storage-type key (the EK): its symmetric scheme protects credentials.
      int bits = Short.toUnsignedInt(b.getShort());
      int mode = Short.toUnsignedInt(b.getShort());
      if (sym != ALG_AES || bits != 128 || mode != ALG_CFB) {
        throw notAllowed("EK symmetric scheme other than AES-128-CFB");
      }
      if (Short.toUnsignedInt(b.getShort()) != ALG_NULL) {
        throw notAllowed("EK with a scheme");
      }
    } else {
      if (sym != ALG_NULL) {
        throw notAllowed("a signing key with a symmetric scheme");
      }
      int scheme = Short.toUnsignedInt(b.getShort());
      int hash = Short.toUnsignedInt(b.getShort());
      if (scheme != ALG_RSASSA || hash != TpmQuote.ALG_SHA256) {
        throw notAllowed("RSA signing scheme other than RSASSA with SHA-256");
      }
    }
    int keyBits = Short.toUnsignedInt(b.getShort());
    long exponent = Integer.toUnsignedLong(b.getInt());
    if (keyBits != 2048 || (exponent != 0 && exponent != 65537)) {
      throw notAllowed("RSA " + keyBits + " bits, exponent " + exponent + ": 2048 and 65537");
    }
    byte[] modulus = TpmBytes.sized(b, 256, "modulus", "TPM2B_PUBLIC");
    if (modulus.length != 256) {
      throw malformed("a modulus of " + modulus.length + " bytes for 2048 bits");
    }
    try {
      return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
          new BigInteger(1, modulus), BigInteger.valueOf(65537)));
    } catch (GeneralSecurityException e) {
      throw malformed("RSA key: " + e.getMessage());
    }
  }

  private static PublicKey ecc(ByteBuffer b) throws RefusalException {
    int sym = Short.toUnsignedInt(b.getShort());
    int scheme = Short.toUnsignedInt(b.getShort());
    int hash = Short.toUnsignedInt(b.getShort());
    int curve = Short.toUnsignedInt(b.getShort());
    int kdf = Short.toUnsignedInt(b.getShort());
    if (sym != ALG_NULL || scheme != ALG_ECDSA || hash != TpmQuote.ALG_SHA256
        || curve != ECC_NIST_P256 || kdf != ALG_NULL) {
      throw notAllowed("ECC key other than ECDSA P-256 with SHA-256");
    }
    byte[] x = TpmBytes.sized(b, 32, "x", "TPM2B_PUBLIC");
    byte[] y = TpmBytes.sized(b, 32, "y", "TPM2B_PUBLIC");
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
      return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
          new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), spec));
    } catch (GeneralSecurityException e) {
      throw malformed("EC point not on P-256: " + e.getMessage());
    }
  }

  private static RefusalException malformed(String message) {
    return new RefusalException(ReasonCode.MALFORMED, "not a TPM2B_PUBLIC: " + message);
  }

  private static RefusalException notAllowed(String message) {
    return new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "TPM key: " + message);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TpmPublic p && Arrays.equals(area, p.area);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(area);
  }

  @Override
  public String toString() {
    return "TpmPublic[type=0x" + Integer.toHexString(type) + ", attributes=0x"
        + Integer.toHexString(attributes) + ", name=" + java.util.HexFormat.of().formatHex(name)
        + "]";
  }
}
