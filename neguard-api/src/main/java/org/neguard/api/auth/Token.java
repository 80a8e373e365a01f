package org.neguard.api.auth;

/**
 * An API token as the server shows it ({@code POST /api/auth/login}, {@code /api/tokens}).
 *
 * @param createdAt ISO-8601 instant
 * @param expiresAt ISO-8601 instant
 * @param revokedAt ISO-8601 instant, or null (left out) while the token is not revoked
 * @param lastUsedAt ISO-8601 instant the token last authenticated a request, to within a minute
 *     (the server records a use at most once a minute), or null (left out) if never
 * @param token the secret, set only in the answer that issues the token, else null (left out)
 */
public record Token(String id, String username, String name, String createdAt, String expiresAt,
    String revokedAt, String lastUsedAt, String token) {}
