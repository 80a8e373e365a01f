package org.neguard.api.repo;

/**
 * The body of {@code POST /api/repo/online-keys/{role}/rotate}, optional.
 *
 * @param keytype {@code ed25519} (the default when absent) or {@code ecdsa} (P-256)
 */
public record RotateKeyRequest(String keytype) {}
