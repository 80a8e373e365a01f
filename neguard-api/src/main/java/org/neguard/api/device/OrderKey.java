package org.neguard.api.device;

/**
 * A public key the server signs deployment orders with ({@code GET /api/device/v1/order-keys},
 * {@code GET /api/deployments/order-keys}).
 *
 * @param kid the JWS {@code kid} header orders signed with it carry
 * @param algorithm the JWS algorithm, {@code ES256}
 * @param publicKey the public key, PEM (SubjectPublicKeyInfo)
 * @param createdAt ISO-8601 instant
 * @param retiredAt ISO-8601 instant it stopped signing, or null while active
 */
public record OrderKey(String kid, String algorithm, String publicKey, String createdAt,
    String retiredAt) {}
