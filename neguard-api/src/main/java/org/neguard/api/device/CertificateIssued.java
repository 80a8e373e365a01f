package org.neguard.api.device;

/**
 * A renewed device certificate; the one used to ask is revoked once this is issued.
 *
 * @param certificate PEM
 * @param notAfter ISO-8601 instant
 */
public record CertificateIssued(String certificate, String serial, String notAfter) {}
