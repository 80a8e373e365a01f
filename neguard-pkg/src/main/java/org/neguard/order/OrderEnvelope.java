package org.neguard.order;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The envelope of a signed order: a JWS (RFC 7515) in compact serialization, so that a stock JOSE
 * library verifies it (docs/DEPLOYMENTS.md, "Envelope").
 */
public final class OrderEnvelope {
  private OrderEnvelope() {}

  /**
   * The {@code typ} header: the order's media type {@code application/vnd.neguard.order+jws},
   * written without {@code application/} as RFC 7515 section 4.1.9 recommends. Checked on read,
   * so that another JWS the same key might sign is never taken for an order.
   */
  public static final String TYPE = "vnd.neguard.order+jws";

  /** The {@code cty} header: the payload's type, {@code application/vnd.neguard.order+json}. */
  public static final String CONTENT_TYPE = "vnd.neguard.order+json";

  /**
   * The algorithms a reader accepts: ES256 (ECDSA on P-256 with SHA-256) only. {@code none}, the
   * HMAC algorithms (a verifier handed a public key as an HMAC secret is the key-confusion
   * attack) and every other algorithm are refused before any key is used.
   */
  public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.ES256);

  /**
   * The only header parameters an order may carry; {@code jwk}, {@code jku}, {@code x5u},
   * {@code crit} and the rest are refused: they would let the sender choose the key or change how
   * the payload is read.
   */
  public static final Set<String> HEADER_PARAMETERS = Set.of("alg", "kid", "typ", "cty");

  /**
   * The largest compact serialization read, in characters (64 KiB), refused before it is
   * decoded or parsed. An order with a few hundred approvals stays far below.
   */
  public static final int MAX_LENGTH = 64 * 1024;

  /**
   * How far the device's clock may be off: an order is accepted from {@code notBefore} less this
   * until {@code notAfter} plus this. NEs keep time by NTP or PTP; five minutes covers a device
   * that has just booted and not yet synchronized, and is small against an order's validity of
   * hours.
   */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  static final JOSEObjectType JOSE_TYPE = new JOSEObjectType(TYPE);

  /** Whether a {@code typ} or {@code cty} value names {@code expected} (RFC 7515 4.1.9, 4.1.10). */
  static boolean namesMediaType(String value, String expected) {
    if (value == null) {
      return false;
    }
    String v = value.toLowerCase(Locale.ROOT);
    return v.equals(expected) || v.equals("application/" + expected);
  }
}
