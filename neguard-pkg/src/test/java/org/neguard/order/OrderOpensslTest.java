package org.neguard.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.neguard.order.Orders.DEVICE;
import static org.neguard.order.Orders.HEADER;
import static org.neguard.order.Orders.KID;
import static org.neguard.order.Orders.NOW;
import static org.neguard.order.Orders.b64;
import static org.neguard.order.Orders.order;
import static org.neguard.order.Orders.payloadJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.Openssl;

/**
 * The envelope is standard JWS (RFC 7515, ES256 per RFC 7518 3.4), not only self-consistent:
 * openssl, which knows nothing of JOSE, verifies the signature over the JWS signing input, and an
 * order signed by openssl and assembled by hand passes the verifier.
 */
@DisplayName("SRC-2 signed deployment orders are standard JWS: openssl checks them")
class OrderOpensslTest {
  private static final KeyPair KEY = Orders.ecKey("secp256r1");

  @TempDir Path dir;

  @Test
  void signedOrder_verifiedByOpensslOverTheSigningInput() throws Exception {
    String jws = OrderSigner.of(KEY.getPrivate(), KID).sign(order(DEVICE));
    String[] parts = jws.split("\\.");
    writePublicKey();
    Files.writeString(dir.resolve("input"), parts[0] + "." + parts[1], StandardCharsets.US_ASCII);
    byte[] raw = Base64.getUrlDecoder().decode(parts[2]);
    assertThat(raw).as("ES256: r || s, 32 bytes each").hasSize(64);
    Files.write(dir.resolve("sig.der"), toDer(raw));

    Openssl.Result ok = Openssl.ok(dir,
        "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "input");
    assertThat(ok.stdout()).contains("Verified OK");

    // The control: one byte of the signing input changed, and openssl refuses it.
    String altered = parts[0] + "." + b64(payloadJson().replace("1.2.0", "1.2.1"));
    Files.writeString(dir.resolve("input"), altered, StandardCharsets.US_ASCII);
    assertThat(Openssl.run(dir, null,
        "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "input").exit())
        .isNotZero();

    // The header and payload are plain base64url JSON any reader sees the same way.
    ObjectMapper json = new ObjectMapper();
    JsonNode header = json.readTree(Base64.getUrlDecoder().decode(parts[0]));
    assertThat(header.get("alg").asText()).isEqualTo("ES256");
    assertThat(header.get("typ").asText()).isEqualTo(OrderEnvelope.TYPE);
    assertThat(header.get("kid").asText()).isEqualTo(KID);
    assertThat(json.readTree(Base64.getUrlDecoder().decode(parts[1])).get("deviceId").asText())
        .isEqualTo(DEVICE);
  }

  @Test
  void orderSignedByOpenssl_acceptedByTheVerifier() throws Exception {
    Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", KEY.getPrivate().getEncoded()));
    String input = b64(HEADER) + "." + b64(payloadJson());
    Files.writeString(dir.resolve("input"), input, StandardCharsets.US_ASCII);
    Openssl.ok(dir, "dgst", "-sha256", "-sign", "key.pem", "-out", "sig.der", "input");
    byte[] raw = fromDer(Files.readAllBytes(dir.resolve("sig.der")));

    OrderVerifier verifier = OrderVerifier.of(
        Map.of(KID, KEY.getPublic()), Clock.fixed(NOW, ZoneOffset.UTC), DEVICE);
    assertThat(verifier.verify(input + "." + b64(raw))).isEqualTo(order(DEVICE));
  }

  private void writePublicKey() throws Exception {
    Files.writeString(dir.resolve("pub.pem"), pem("PUBLIC KEY", KEY.getPublic().getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** JOSE's r || s (RFC 7518 3.4) as the DER SEQUENCE { r, s } openssl reads. */
  private static byte[] toDer(byte[] raw) throws Exception {
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(raw, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(raw, 32, 64));
    return new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
  }

  /** openssl's DER SEQUENCE { r, s } as JOSE's fixed-length r || s. */
  private static byte[] fromDer(byte[] der) {
    ASN1Sequence seq = ASN1Sequence.getInstance(der);
    byte[] raw = new byte[64];
    for (int i = 0; i < 2; i++) {
      byte[] v = ASN1Integer.getInstance(seq.getObjectAt(i)).getPositiveValue().toByteArray();
      int len = Math.min(v.length, 32);
      System.arraycopy(v, v.length - len, raw, 32 * (i + 1) - len, len);
    }
    return raw;
  }
}
