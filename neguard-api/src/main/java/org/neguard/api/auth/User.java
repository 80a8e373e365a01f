package org.neguard.api.auth;

import java.util.List;

/**
 * A user as the server shows it ({@code GET /api/users}).
 *
 * @param roles sorted
 * @param createdAt ISO-8601 instant
 */
public record User(String username, List<Role> roles, boolean disabled, String createdAt) {}
