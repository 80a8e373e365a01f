package org.neguard.sign;

import java.time.Instant;
import java.util.List;

/**
 * Who signed, as established by a successful verification.
 *
 * @param subject signer certificate subject (RFC 2253)
 * @param issuer signer certificate issuer
 * @param serialNumber hex serial number
 * @param fingerprint SHA-256 of the signer certificate, hex
 * @param notBefore start of the signer certificate's validity
 * @param notAfter end of the signer certificate's validity
 * @param signingTime the signing-time attribute (the signer's claim, not a trusted timestamp)
 * @param signatureAlgorithm the signature algorithm's name
 * @param path subjects from the signer up to, and including, the trust anchor
 */
public record SignerDetails(
    String subject,
    String issuer,
    String serialNumber,
    String fingerprint,
    Instant notBefore,
    Instant notAfter,
    Instant signingTime,
    String signatureAlgorithm,
    List<String> path) {
  public SignerDetails {
    path = List.copyOf(path);
  }
}
