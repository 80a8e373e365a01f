package org.neguard.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One verification contract for ES256, whichever implementation checks it: {@link Es256} on
 * AWS-LC (what the server runs on Linux x86-64) and on Bouncy Castle (everywhere else), and the
 * JDK's own provider ({@code SHA256withECDSAinP1363Format}, SunEC; on JDK 24 and later with
 * its Montgomery P-256 field) read the same bytes the same way. The same table of signatures
 * goes through all three, so that a change of implementation (docs/BENCHMARKS.md, issue 15)
 * cannot accept what another refuses. Run on every JDK the build runs on.
 */
class Es256Test {
  static KeyPair device;
  static byte[] input;
  static byte[] good;
  static BigInteger n;

  @BeforeAll
  static void sign() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    device = g.generateKeyPair();
    input = "eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ".getBytes(StandardCharsets.US_ASCII);
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(device.getPrivate());
    s.update(input);
    good = s.sign();
    n = ((ECPublicKey) device.getPublic()).getParams().getOrder();
  }

  /**
   * The implementations this JVM has: Bouncy Castle everywhere, AWS-LC where its native code
   * loads (Linux on x86-64: what CI and the server run on; {@link #awsLc_loadedOnLinuxX86_64}).
   */
  static List<Es256.Implementation> implementations() {
    return Es256.implementation() == Es256.Implementation.AWS_LC
        ? List.of(Es256.Implementation.BOUNCY_CASTLE, Es256.Implementation.AWS_LC)
        : List.of(Es256.Implementation.BOUNCY_CASTLE);
  }

  /** Whether {@code by} accepts: a key Es256 refuses is a refusal. */
  static boolean es256(Es256.Implementation by, ECPublicKey key, byte[] data,
      byte[] signature) {
    return es256(by, key, data, data.length, signature);
  }

  static boolean es256(Es256.Implementation by, ECPublicKey key, byte[] data, int length,
      byte[] signature) {
    try {
      return Es256.verify(by, Es256.key(key), data, length, signature);
    } catch (IllegalArgumentException refused) {
      return false;
    }
  }

  /** Whether the JDK's provider accepts: an exception is a refusal. */
  static boolean jdk(ECPublicKey key, byte[] data, byte[] signature) {
    try {
      Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
      v.initVerify(key);
      v.update(data);
      return v.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException refused) {
      return false;
    }
  }

  /** {@code value} as 32 big-endian bytes (it must fit). */
  static byte[] bytes32(BigInteger value) {
    byte[] b = value.toByteArray();
    byte[] out = new byte[32];
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, 32 - len, len);
    return out;
  }

  static byte[] rs(BigInteger r, BigInteger s) {
    byte[] out = new byte[64];
    System.arraycopy(bytes32(r), 0, out, 0, 32);
    System.arraycopy(bytes32(s), 0, out, 32, 32);
    return out;
  }

  @Test
  @DisplayName("ATT-4 one ES256 contract: the same table of signatures over the same input and"
      + " key is accepted or refused alike by Es256 on AWS-LC, on Bouncy Castle, and the JDK's"
      + " own ECDSA:"
      + " the signature and its high-S twin accepted (ECDSA as RFC 7518 has it), each altered"
      + " byte, r or s zero, equal to n or past it, the blank signature (CVE-2022-21449), the"
      + " DER form, 0, 63, 65 bytes, the input altered or a byte short refused")
  void verify_sameSignatureTable_sameAnswerFromEveryImplementation() {
    BigInteger r = new BigInteger(1, good, 0, 32);
    BigInteger s = new BigInteger(1, good, 32, 32);
    Map<String, byte[]> accepted = new LinkedHashMap<>();
    accepted.put("the signature", good);
    // ECDSA's own malleability: (r, n - s) verifies too. RFC 7518 does not ask for low S, and
    // neither implementation refuses it; the evidence's nonce, not the signature's bytes, is
    // what makes each evidence new.
    accepted.put("high-S twin (r, n - s)", rs(r, n.subtract(s)));
    Map<String, byte[]> refused = new LinkedHashMap<>();
    for (int i : new int[] {0, 31, 32, 63}) {
      byte[] flipped = good.clone();
      flipped[i] ^= 1;
      refused.put("byte " + i + " altered", flipped);
    }
    refused.put("blank (CVE-2022-21449)", new byte[64]);
    refused.put("r zero", rs(BigInteger.ZERO, s));
    refused.put("s zero", rs(r, BigInteger.ZERO));
    refused.put("r = n", rs(n, s));
    refused.put("s = n", rs(r, n));
    refused.put("r + n (the same r mod n, when it fits)",
        r.add(n).bitLength() <= 256 ? rs(r.add(n), s) : rs(n.add(BigInteger.ONE), s));
    refused.put("s + n", s.add(n).bitLength() <= 256 ? rs(r, s.add(n))
        : rs(r, n.add(BigInteger.ONE)));
    refused.put("r all ones (2^256 - 1)", rs(BigInteger.ONE.shiftLeft(256).subtract(
        BigInteger.ONE), s));
    refused.put("the DER form", der(r, s));
    refused.put("no bytes", new byte[0]);
    refused.put("63 bytes", Arrays.copyOf(good, 63));
    refused.put("65 bytes", Arrays.copyOf(good, 65));
    refused.put("65 bytes, a leading zero", prefixZero(good));
    ECPublicKey key = (ECPublicKey) device.getPublic();
    long fallbacks = Es256.fallbacks();
    for (Es256.Implementation by : implementations()) {
      for (Map.Entry<String, byte[]> e : accepted.entrySet()) {
        assertThat(es256(by, key, input, e.getValue())).as(by + ": " + e.getKey()).isTrue();
      }
      for (Map.Entry<String, byte[]> e : refused.entrySet()) {
        assertThat(es256(by, key, input, e.getValue())).as(by + ": " + e.getKey()).isFalse();
      }
      byte[] altered = input.clone();
      altered[5] ^= 1;
      assertThat(es256(by, key, altered, good)).as(by + ": input altered").isFalse();
      assertThat(es256(by, key, input, input.length - 1, good)).as(by + ": a byte short").isFalse();
    }
    assertThat(Es256.fallbacks()).as("AWS-LC answered each itself: no fallback to Bouncy Castle")
        .isEqualTo(fallbacks);
    for (Map.Entry<String, byte[]> e : accepted.entrySet()) {
      assertThat(jdk(key, input, e.getValue())).as("JDK: " + e.getKey()).isTrue();
    }
    for (Map.Entry<String, byte[]> e : refused.entrySet()) {
      assertThat(jdk(key, input, e.getValue())).as("JDK: " + e.getKey()).isFalse();
    }
    byte[] altered = input.clone();
    altered[5] ^= 1;
    assertThat(jdk(key, altered, good)).as("JDK: input altered").isFalse();
  }

  @Test
  @DisplayName("ATT-4 a device key that is not a point of P-256 (y + 1; the point at infinity;"
      + " x + p) is refused by Es256 with a message, and refused by the JDK's own ECDSA too")
  void key_notAPointOfP256_refusedByBoth() throws Exception {
    ECPublicKey key = (ECPublicKey) device.getPublic();
    ECParameterSpec p256 = key.getParams();
    ECPoint w = key.getW();
    ECPoint offCurve = new ECPoint(w.getAffineX(), w.getAffineY().add(BigInteger.ONE));
    ECPublicKey bad = (ECPublicKey) KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(offCurve, p256));
    assertThatThrownBy(() -> Es256.key(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a point of P-256");
    assertThat(jdk(bad, input, good)).isFalse();
    ECPublicKey infinity = raw(ECPoint.POINT_INFINITY, p256);
    assertThatThrownBy(() -> Es256.key(infinity)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a point of P-256");
    assertThat(jdk(infinity, input, good)).isFalse();
    // x + p: the same point's x modulo p, outside the field.
    BigInteger fieldP = ((java.security.spec.ECFieldFp) p256.getCurve().getField()).getP();
    ECPublicKey xPlusP = raw(new ECPoint(w.getAffineX().add(fieldP), w.getAffineY()), p256);
    assertThatThrownBy(() -> Es256.key(xPlusP)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a point of P-256");
    assertThat(jdk(xPlusP, input, good)).isFalse();
  }

  @Test
  @DisplayName("ATT-4 on Linux x86-64 (CI, the server) evidence signatures are checked by"
      + " AWS-LC: its native code loaded and passed its self tests")
  void awsLc_loadedOnLinuxX86_64() {
    boolean linuxX86 = System.getProperty("os.name").equals("Linux")
        && System.getProperty("os.arch").equals("amd64");
    assertThat(Es256.implementation()).as(Es256.describe()).isEqualTo(linuxX86
        ? Es256.Implementation.AWS_LC : Es256.Implementation.BOUNCY_CASTLE);
    if (linuxX86) {
      assertThat(Es256.describe()).startsWith("AWS-LC ");
      assertThat(Es256.key((ECPublicKey) device.getPublic()).awsLc()).as("the key as AWS-LC's")
          .isNotNull();
    }
  }

  @Test
  @DisplayName("ATT-4 a fault of AWS-LC (here a key it cannot take) is not a verdict: Bouncy"
      + " Castle answers instead, the good signature accepted, an altered one refused")
  void awsLcFault_bouncyCastleAnswers() throws Exception {
    Es256.Key checked = Es256.key((ECPublicKey) device.getPublic());
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    Es256.Key broken = new Es256.Key(checked.point(), rsa.generateKeyPair().getPublic());
    byte[] altered = good.clone();
    altered[10] ^= 1;
    long before = Es256.fallbacks();
    for (Es256.Implementation by : implementations()) {
      assertThat(Es256.verify(by, broken, input, input.length, good)).as(by.name()).isTrue();
      assertThat(Es256.verify(by, broken, input, input.length, altered)).as(by.name())
          .isFalse();
    }
    if (Es256.implementation() == Es256.Implementation.AWS_LC) {
      assertThat(Es256.fallbacks() - before).as("both answered by the fallback").isEqualTo(2);
      assertThat(Es256.describe()).contains("fell back to Bouncy Castle");
    }
  }

  /** A public key of {@code w} as given: no key factory to check or refuse it first. */
  private static ECPublicKey raw(ECPoint w, ECParameterSpec params) {
    return new ECPublicKey() {
      @Override
      public ECPoint getW() {
        return w;
      }

      @Override
      public ECParameterSpec getParams() {
        return params;
      }

      @Override
      public String getAlgorithm() {
        return "EC";
      }

      @Override
      public String getFormat() {
        return null;
      }

      @Override
      public byte[] getEncoded() {
        return null;
      }
    };
  }

  private static byte[] der(BigInteger r, BigInteger s) {
    byte[] rb = r.toByteArray();
    byte[] sb = s.toByteArray();
    byte[] out = new byte[6 + rb.length + sb.length];
    out[0] = 0x30;
    out[1] = (byte) (4 + rb.length + sb.length);
    out[2] = 0x02;
    out[3] = (byte) rb.length;
    System.arraycopy(rb, 0, out, 4, rb.length);
    out[4 + rb.length] = 0x02;
    out[5 + rb.length] = (byte) sb.length;
    System.arraycopy(sb, 0, out, 6 + rb.length, sb.length);
    return out;
  }

  private static byte[] prefixZero(byte[] b) {
    byte[] out = new byte[b.length + 1];
    System.arraycopy(b, 0, out, 1, b.length);
    return out;
  }
}
