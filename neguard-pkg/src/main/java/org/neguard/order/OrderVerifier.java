package org.neguard.order;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Checks a signed deployment order on the device, before anything is downloaded or installed
 * (docs/DEPLOYMENTS.md, "Refusals"). In this order, each step before any work the next one costs:
 * the length; the protected header, read strictly (only {@code alg}, {@code kid}, {@code typ},
 * {@code cty}; the algorithm on {@link OrderEnvelope#ALGORITHMS}; the order's media type); the
 * key by {@code kid}; the ES256 signature; then the payload: format version, fields, the device,
 * the validity window.
 *
 * <p>Immutable and thread-safe.
 */
public final class OrderVerifier {
  private static final Pattern BASE64URL = Pattern.compile("[A-Za-z0-9_-]*");
  /** A key name fit to appear in a message, a log line or an audit row as it is. */
  private static final Pattern KID = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private final Map<String, ECDSAVerifier> keys;
  private final Clock clock;
  private final String deviceId;

  private OrderVerifier(Map<String, ECDSAVerifier> keys, Clock clock, String deviceId) {
    this.keys = keys;
    this.clock = clock;
    this.deviceId = deviceId;
  }

  /**
   * A verifier for the device {@code deviceId}.
   *
   * @param trustedKeys the server's order-signing public keys by {@code kid}; each an EC key on
   *     P-256; at least one
   * @param clock the device's clock, for the validity window
   * @param deviceId this device's own id: orders for any other device are refused
   * @throws IllegalArgumentException if a key is not a P-256 key, no key is given, or
   *     {@code deviceId} is blank
   */
  public static OrderVerifier of(
      Map<String, ? extends PublicKey> trustedKeys, Clock clock, String deviceId) {
    Objects.requireNonNull(trustedKeys, "trustedKeys");
    Objects.requireNonNull(clock, "clock");
    if (deviceId == null || deviceId.isBlank()) {
      throw new IllegalArgumentException("deviceId is missing or blank");
    }
    if (trustedKeys.isEmpty()) {
      throw new IllegalArgumentException("trustedKeys is empty: no order could ever be accepted");
    }
    Map<String, ECDSAVerifier> keys = new LinkedHashMap<>();
    trustedKeys.forEach((kid, key) -> {
      if (!(key instanceof ECPublicKey ec)
          || !Curve.P_256.equals(Curve.forECParameterSpec(ec.getParams()))) {
        throw new IllegalArgumentException(
            "trusted order key " + kid + " is not an EC key on P-256");
      }
      try {
        keys.put(kid, new ECDSAVerifier(ec));
      } catch (JOSEException e) {
        throw new IllegalArgumentException(
            "trusted order key " + kid + " cannot verify ES256: " + e.getMessage(), e);
      }
    });
    return new OrderVerifier(Map.copyOf(keys), clock, deviceId);
  }

  /**
   * Verifies {@code order}, a JWS in compact serialization, and returns what it orders.
   *
   * @throws RefusalException {@code SIZE_LIMIT} above {@link OrderEnvelope#MAX_LENGTH};
   *     {@code MALFORMED} for a bad serialization, header or payload (duplicate keys included),
   *     or a wrong {@code typ}/{@code cty}; {@code ALGORITHM_NOT_ALLOWED} for an algorithm off
   *     the list; {@code CERT_UNTRUSTED} for an unknown {@code kid}; {@code SIGNATURE_INVALID};
   *     {@code FORMAT_VERSION} for another major format version; {@code DEVICE_MISMATCH} for an
   *     order to another device; {@code ORDER_VALIDITY} outside the validity window
   */
  public DeploymentOrder verify(String order) throws RefusalException {
    Objects.requireNonNull(order, "order");
    if (order.length() > OrderEnvelope.MAX_LENGTH) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT,
          "the order is " + order.length() + " characters, above the limit of "
              + OrderEnvelope.MAX_LENGTH + "; ask the server for a new order");
    }
    String[] parts = order.split("\\.", -1);
    if (parts.length != 3) {
      throw malformed("it is not a JWS in compact serialization (three base64url parts)");
    }
    // The JOSE library skips characters outside the alphabet; one reading only, so refuse them.
    for (String part : parts) {
      if (!BASE64URL.matcher(part).matches()) {
        throw malformed("a part is not unpadded base64url");
      }
    }
    String kid = checkHeader(parts[0]);
    JWSObject jws;
    try {
      jws = JWSObject.parse(order);
    } catch (ParseException e) {
      throw malformed("it is not a JWS in compact serialization (" + e.getMessage() + ")");
    }
    ECDSAVerifier verifier = keys.get(kid);
    if (verifier == null) {
      throw RefusalException.about(ReasonCode.CERT_UNTRUSTED, kid,
          "the order is signed with key " + kid + ", which this device does not trust as an "
              + "order-signing key; install the server's order key (docs/DEPLOYMENTS.md)");
    }
    boolean valid;
    try {
      valid = jws.verify(verifier);
    } catch (JOSEException e) {
      valid = false;
    }
    if (!valid) {
      throw RefusalException.about(ReasonCode.SIGNATURE_INVALID, kid,
          "the order's signature does not verify with key " + kid
              + ": it was altered or signed with another key; do not act on it");
    }
    DeploymentOrder result = OrderCodec.decode(jws.getPayload().toBytes());
    if (!result.deviceId().equals(deviceId)) {
      throw RefusalException.about(ReasonCode.DEVICE_MISMATCH, result.deviceId(),
          "the order is for device " + result.deviceId() + ", this is " + deviceId
              + "; an order is never carried out by another device");
    }
    checkValidity(result);
    return result;
  }

  /** Reads the protected header strictly, before the JOSE library does; returns the kid. */
  private static String checkHeader(String encoded) throws RefusalException {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw malformed("its header is not base64url");
    }
    JsonNode header = OrderCodec.readObject(bytes, "protected header");
    JsonNode alg = header.get("alg");
    if (alg == null || !alg.isTextual()) {
      throw malformed("its header has no alg");
    }
    // Before any key is looked at: "none", the HMAC algorithms and the rest never get that far.
    if (!OrderEnvelope.ALGORITHMS.contains(JWSAlgorithm.parse(alg.textValue()))) {
      throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED,
          "the order is signed with algorithm " + shown(alg.textValue())
              + "; orders are accepted with " + OrderEnvelope.ALGORITHMS + " only");
    }
    for (Iterator<String> names = header.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!OrderEnvelope.HEADER_PARAMETERS.contains(name)) {
        throw malformed("its header carries parameter " + shown(name)
            + "; an order's header has only " + OrderEnvelope.HEADER_PARAMETERS);
      }
    }
    if (!OrderEnvelope.namesMediaType(text(header, "typ"), OrderEnvelope.TYPE)) {
      throw malformed("its typ is " + shown(text(header, "typ")) + ", not " + OrderEnvelope.TYPE
          + ": it is not a deployment order");
    }
    if (!OrderEnvelope.namesMediaType(text(header, "cty"), OrderEnvelope.CONTENT_TYPE)) {
      throw malformed(
          "its cty is " + shown(text(header, "cty")) + ", not " + OrderEnvelope.CONTENT_TYPE);
    }
    String kid = text(header, "kid");
    if (kid == null || !KID.matcher(kid).matches()) {
      throw malformed("its header has no kid naming the order-signing key (1 to 128 printable "
          + "ASCII characters): " + shown(kid));
    }
    return kid;
  }

  private void checkValidity(DeploymentOrder order) throws RefusalException {
    Instant now = clock.instant();
    if (now.isBefore(order.notBefore().minus(OrderEnvelope.CLOCK_SKEW))) {
      throw new RefusalException(ReasonCode.ORDER_VALIDITY,
          "the order is not valid before " + order.notBefore() + " and this device's clock says "
              + now + "; check the device's time");
    }
    if (!now.isBefore(order.notAfter().plus(OrderEnvelope.CLOCK_SKEW))) {
      throw new RefusalException(ReasonCode.ORDER_VALIDITY,
          "the order expired at " + order.notAfter() + " and this device's clock says " + now
              + "; poll the server for a current order");
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  /**
   * A header value as a message may show it: what the sender wrote, at most 64 characters, with
   * anything but printable ASCII as {@code ?} so that no control character reaches a terminal
   * or a log.
   */
  static String shown(String value) {
    if (value == null) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < value.length() && i < 64; i++) {
      char c = value.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.append(value.length() > 64 ? "…\"" : "\"").toString();
  }

  private static RefusalException malformed(String what) {
    return new RefusalException(Reason.of(ReasonCode.MALFORMED,
        "the order is malformed: " + what + "; ask the server for a new order"));
  }
}
