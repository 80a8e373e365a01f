package org.neguard.attest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * TPM2_MakeCredential done by the verifier, in Java (TPM 2.0 Part 1, 24 "Credential
 * Protection"): a secret only the TPM holding the endorsement key can recover, and only for an
 * object of the given name loaded in it. When the NE's TPM gives the secret back
 * ({@code tpm2_activatecredential}), the attestation key of that name lives in the same TPM as
 * the endorsement key: the binding enrollment needs.
 *
 * <p>Thread-safe: stateless.
 */
public final class Credential {
  private static final int FILE_MAGIC = 0xBADCC0DE;

  private Credential() {}

  /**
   * Protects {@code secret} for the object {@code objectName} under {@code ek}, in the file
   * format {@code tpm2_activatecredential -i} reads: magic, version 1, TPM2B_ID_OBJECT,
   * TPM2B_ENCRYPTED_SECRET.
   *
   * @param secret 1 to 32 bytes
   * @throws IllegalArgumentException if the secret is empty or longer than 32 bytes, or the
   *     name is not a SHA-256 name (34 bytes)
   */
  public static byte[] make(TpmPublic ek, byte[] objectName, byte[] secret, SecureRandom random) {
    if (secret.length < 1 || secret.length > 32) {
      throw new IllegalArgumentException("secret not 1..32 bytes: " + secret.length);
    }
    if (objectName.length != 34) {
      throw new IllegalArgumentException("not a SHA-256 object name: " + objectName.length
          + " bytes");
    }
    try {
      byte[] seed = new byte[32];
      random.nextBytes(seed);
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.ENCRYPT_MODE, ek.key(), new OAEPParameterSpec("SHA-256", "MGF1",
          MGF1ParameterSpec.SHA256, new PSource.PSpecified(
              "IDENTITY\0".getBytes(StandardCharsets.US_ASCII))), random);
      byte[] encSeed = rsa.doFinal(seed);

      byte[] symKey = kdfa(seed, "STORAGE", objectName, 128);
      Cipher aes = Cipher.getInstance("AES/CFB/NoPadding");
      aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(symKey, "AES"),
          new IvParameterSpec(new byte[16]));
      byte[] encIdentity = aes.doFinal(ByteBuffer.allocate(2 + secret.length)
          .putShort((short) secret.length).put(secret).array());

      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(kdfa(seed, "INTEGRITY", new byte[0], 256), "HmacSHA256"));
      hmac.update(encIdentity);
      byte[] integrity = hmac.doFinal(objectName);

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer head = ByteBuffer.allocate(8).putInt(FILE_MAGIC).putInt(1);
      out.writeBytes(head.array());
      int idSize = 2 + integrity.length + encIdentity.length;
      out.writeBytes(ByteBuffer.allocate(4).putShort((short) idSize)
          .putShort((short) integrity.length).array());
      out.writeBytes(integrity);
      out.writeBytes(encIdentity);
      out.writeBytes(ByteBuffer.allocate(2).putShort((short) encSeed.length).array());
      out.writeBytes(encSeed);
      return out.toByteArray();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JCA lacks RSA-OAEP, AES-CFB or HMAC-SHA256", e);
    }
  }

  /** KDFa with SHA-256 (TPM 2.0 Part 1, 11.4.10.2), contextV empty. */
  static byte[] kdfa(byte[] key, String label, byte[] contextU, int bits)
      throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] out = new byte[bits / 8];
    int done = 0;
    for (int counter = 1; done < out.length; counter++) {
      mac.update(ByteBuffer.allocate(4).putInt(counter).array());
      mac.update(label.getBytes(StandardCharsets.US_ASCII));
      mac.update((byte) 0);
      mac.update(contextU);
      mac.update(ByteBuffer.allocate(4).putInt(bits).array());
      byte[] block = mac.doFinal();
      int n = Math.min(block.length, out.length - done);
      System.arraycopy(block, 0, out, done, n);
      done += n;
    }
    return out;
  }
}
