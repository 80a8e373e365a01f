package org.neguard.api.device;

import java.util.List;

/**
 * A one-time enrollment token, shown once (only its SHA-256 is stored).
 *
 * @param token the secret a device presents once, {@code net_...}
 * @param id the token's public id (audit rows name it)
 * @param expiresAt ISO-8601 instant
 * @param deviceId the device id it is bound to, or null
 * @param neType the NE type it is bound to, or null
 * @param labels labels given at enrollment
 * @param deviceUrl the agents' API base URL as this server sees it ({@code https://host:port})
 * @param caCertificate the device CA certificate (PEM): a device trusts the device port's TLS
 *     certificate only through it
 * @param caSha256 SHA-256 of the CA certificate (DER), hex: what to pin when the PEM travels by
 *     another way
 */
public record EnrollmentToken(String token, String id, String expiresAt, String deviceId,
    String neType, List<String> labels, String deviceUrl, String caCertificate,
    String caSha256) {}
