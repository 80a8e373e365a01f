package org.neguard.api.auth;

/**
 * {@code POST /api/auth/login}: a password for a token.
 *
 * @param tokenName the name the token is listed under, or null for the server's default
 * @param ttlHours the token's lifetime, or null for the server's default
 */
public record LoginRequest(String username, String password, String tokenName, Long ttlHours) {}
