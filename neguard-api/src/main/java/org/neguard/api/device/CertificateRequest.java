package org.neguard.api.device;

/**
 * {@code POST /api/device/v1/certificate}: renew the device certificate (over mutual TLS with the
 * current one).
 *
 * @param csr a PKCS#10 request (PEM) for a new key pair, subject CN the device id
 */
public record CertificateRequest(String csr) {}
