package org.neguard.api.pkg;

import java.util.List;
import java.util.Set;

/**
 * {@code GET /api/trust}: the anchors and CRLs that ingest verifies against (SRC-2).
 *
 * @param anchors in the order of the trust configuration
 * @param crls in the order of the trust configuration
 */
public record TrustInfo(List<Anchor> anchors, List<Crl> crls) {
  /**
   * A trust anchor.
   *
   * @param fingerprint SHA-256 of the certificate, hex
   * @param notAfter ISO-8601 instant
   * @param vendors the vendor names the anchor is bound to, empty if unbound
   * @param speaksFor the binding in words
   */
  public record Anchor(String subject, String fingerprint, String notAfter, Set<String> vendors,
      String speaksFor) {}

  /**
   * A certificate revocation list.
   *
   * @param thisUpdate ISO-8601 instant
   * @param nextUpdate ISO-8601 instant, or null (left out) if the CRL names none
   * @param revoked how many certificates it revokes
   */
  public record Crl(String issuer, String thisUpdate, String nextUpdate, int revoked) {}
}
