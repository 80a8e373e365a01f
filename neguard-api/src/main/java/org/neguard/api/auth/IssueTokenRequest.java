package org.neguard.api.auth;

/**
 * {@code POST /api/tokens}: another token for oneself.
 *
 * @param ttlHours the lifetime, or null for the server's default
 */
public record IssueTokenRequest(String name, Long ttlHours) {}
