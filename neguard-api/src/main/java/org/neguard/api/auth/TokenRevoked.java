package org.neguard.api.auth;

/** The answer to {@code DELETE /api/tokens/{id}}. */
public record TokenRevoked(String id, boolean revoked) {}
