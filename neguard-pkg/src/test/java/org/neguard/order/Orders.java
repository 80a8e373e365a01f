package org.neguard.order;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** Test orders, keys, and JWS built by hand (any header, any payload bytes, any signature). */
final class Orders {
  static final Instant NOW = Instant.parse("2026-12-04T10:00:00Z");
  static final String DEVICE = "ne-0001";
  static final String KID = "order-key-2026";
  static final String HEADER =
      "{\"alg\":\"ES256\",\"typ\":\"vnd.neguard.order+jws\",\"cty\":\"vnd.neguard.order+json\","
          + "\"kid\":\"" + KID + "\"}";

  private Orders() {}

  static KeyPair ecKey(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static DeploymentOrder order(String deviceId) {
    return new DeploymentOrder(DeploymentOrder.FORMAT_VERSION, deviceId, "sample-mme", "1.2.0",
        "0123456789abcdef".repeat(4), 4096, "dep-42",
        List.of(new Approval("alice", NOW.minus(Duration.ofHours(2))),
            new Approval("bob", NOW.minus(Duration.ofHours(1)))),
        NOW.minus(Duration.ofMinutes(30)), NOW.minus(Duration.ofMinutes(30)),
        NOW.plus(Duration.ofHours(24)), false);
  }

  /** The payload JSON of a valid order for {@link #DEVICE}, to edit as text. */
  static String payloadJson() {
    return new String(OrderCodec.encode(order(DEVICE)), StandardCharsets.UTF_8);
  }

  static String b64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String b64(String text) {
    return b64(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A compact JWS with exactly {@code header} and {@code payload}, ES256-signed by {@code key}. */
  static String es256(String header, String payload, PrivateKey key) {
    String input = b64(header) + "." + b64(payload);
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b64(s.sign());
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }
}
