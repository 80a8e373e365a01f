package org.neguard.api.auth;

/**
 * The answer to {@code POST /api/users}.
 *
 * @param password the generated password, shown once; null (left out) when the request gave one
 */
public record CreatedUser(User user, String password) {}
