package org.neguard.cli.sim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.api.device.OrderKey;
import org.neguard.order.OrderVerifier;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** The order keys a device received at enrollment, as the verifier of its orders. */
final class OrderKeys {
  private OrderKeys() {}

  /**
   * A verifier for {@code deviceId} that trusts {@code keys} (retired ones too: an order signed
   * before a rotation stays valid until it expires).
   *
   * @throws RefusalException {@code CERT_UNTRUSTED} when no key is usable
   */
  static OrderVerifier verifier(List<OrderKey> keys, String deviceId) throws RefusalException {
    Map<String, PublicKey> trusted = new LinkedHashMap<>();
    for (OrderKey k : keys == null ? List.<OrderKey>of() : keys) {
      trusted.put(k.kid(), publicKey(k));
    }
    try {
      return OrderVerifier.of(trusted, Clock.systemUTC(), deviceId);
    } catch (IllegalArgumentException e) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED,
          "the server's order keys are unusable: " + e.getMessage());
    }
  }

  /** The key of a PEM SubjectPublicKeyInfo. */
  static PublicKey publicKey(OrderKey k) throws RefusalException {
    if (k.publicKey() == null) {
      throw RefusalException.about(ReasonCode.MALFORMED, k.kid(),
          "order key " + k.kid() + " comes without its public key");
    }
    try {
      String base64 = k.publicKey().replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "")
          .replaceAll("\\s", "");
      return KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw RefusalException.about(ReasonCode.MALFORMED, k.kid(),
          "order key " + k.kid() + " is not a PEM EC public key: " + e.getMessage());
    }
  }
}
