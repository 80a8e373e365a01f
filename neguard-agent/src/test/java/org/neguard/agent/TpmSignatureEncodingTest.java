package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.neguard.agent.TpmDeviceKey.SignatureFormat;

/**
 * The two encodings of the TPM's ECDSA signature ({@code TPMT_SIGNATURE}): DER for TLS and X.509,
 * r || s for the evidence JWS. Each is checked by the JDK's own ECDSA, over signatures the JDK
 * made and then wrapped as a TPM returns them; the TPM itself is in {@code TpmDeviceKeyTest}.
 */
class TpmSignatureEncodingTest {
  private static final byte[] MESSAGE = "evidence".getBytes(StandardCharsets.US_ASCII);

  /** A TPMT_SIGNATURE: ECDSA (0x0018), SHA-256 (0x000B), r and s as TPM2B. */
  private static byte[] tpmt(byte[] r, byte[] s) {
    return ByteBuffer.allocate(8 + r.length + s.length).putShort((short) 0x0018)
        .putShort((short) 0x000B).putShort((short) r.length).put(r).putShort((short) s.length)
        .put(s).array();
  }

  /** r and s of a P1363 signature with their leading zero bytes dropped, as a TPM may send. */
  private static byte[] trimmed(byte[] p1363, int from) {
    int i = from;
    while (i < from + 31 && p1363[i] == 0) {
      i++;
    }
    return Arrays.copyOfRange(p1363, i, from + 32);
  }

  @Test
  @DisplayName("ATT-4 SRC-2 a TPM signature in both encodings verifies with the JDK's ECDSA,"
      + " also when the TPM sends r or s shorter than 32 bytes")
  void encode_bothFormats_verifyWithTheJdk() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair k = g.generateKeyPair();
    for (int i = 0; i < 50; i++) {
      Signature jdk = Signature.getInstance("SHA256withECDSAinP1363Format");
      jdk.initSign(k.getPrivate());
      jdk.update(MESSAGE);
      byte[] p1363 = jdk.sign();
      byte[] tpmt = tpmt(trimmed(p1363, 0), trimmed(p1363, 32));

      byte[] asP1363 = TpmDeviceKey.encode(tpmt, SignatureFormat.P1363);
      assertThat(asP1363).isEqualTo(p1363);
      byte[] der = TpmDeviceKey.encode(tpmt, SignatureFormat.DER);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(k.getPublic());
      v.update(MESSAGE);
      assertThat(v.verify(der)).isTrue();
    }
    // A short r: padded on the left, not the right.
    byte[] r = {0x01};
    byte[] s = new byte[32];
    Arrays.fill(s, (byte) 0xff);
    byte[] out = TpmDeviceKey.encode(tpmt(r, s), SignatureFormat.P1363);
    assertThat(out).hasSize(64);
    assertThat(Arrays.copyOfRange(out, 0, 31)).containsOnly(0);
    assertThat(out[31]).isEqualTo((byte) 1);
    assertThat(Arrays.copyOfRange(out, 32, 64)).isEqualTo(s);
  }

  @Test
  @DisplayName("SRC-2 a TPM answer that is not one ECDSA SHA-256 signature is refused"
      + " TPM_SIGN_REFUSED in either encoding: another algorithm, a component of 0 or 33 bytes,"
      + " bytes after s, an answer cut short")
  void encode_malformed_refusedTpmSignRefused() {
    byte[] ok = tpmt(new byte[32], new byte[32]);
    byte[] rsa = ok.clone();
    rsa[1] = 0x14; // TPM_ALG_RSASSA
    byte[] empty = tpmt(new byte[0], new byte[32]);
    byte[] long33 = tpmt(new byte[33], new byte[32]);
    byte[] extra = Arrays.copyOf(ok, ok.length + 1);
    byte[] cut = Arrays.copyOf(ok, ok.length - 1);
    for (SignatureFormat f : SignatureFormat.values()) {
      for (byte[] bad : new byte[][] {rsa, empty, long33, extra, cut}) {
        assertThatThrownBy(() -> TpmDeviceKey.encode(bad, f))
            .isInstanceOfSatisfying(TpmKeyException.class,
                e -> assertThat(e.reason()).isEqualTo(TpmKeyException.Reason.TPM_SIGN_REFUSED));
      }
    }
  }
}
